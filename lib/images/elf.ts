/**
 * Just enough of ELF to find what a dynamically linked file needs at run time:
 * its interpreter (PT_INTERP, the dynamic loader), its DT_NEEDED sonames and
 * its DT_RUNPATH/DT_RPATH directories. Read from the file, never by running
 * `ldd` (which executes the binary's loader). 64- and 32-bit, little and big endian.
 */
import { readFile } from 'node:fs/promises';

export interface ElfDependencies {
  interpreter?: string;
  needed: string[];
  runpath: string[];
}

const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PT_LOAD = 1;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_RPATH = 15;
const DT_RUNPATH = 29;

/** undefined when `path` is not an ELF file; no dependencies for a static one. */
export async function readElfDependencies(path: string): Promise<ElfDependencies | undefined> {
  const data = await readFile(path);
  return parseElfDependencies(data);
}

export function parseElfDependencies(data: Buffer): ElfDependencies | undefined {
  if (data.length < 52 || data.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = data[4] === 2;
  const little = data[5] === 1;
  const u16 = (o: number) => (little ? data.readUInt16LE(o) : data.readUInt16BE(o));
  const u32 = (o: number) => (little ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const word = (o: number) => (is64 ? Number(little ? data.readBigUInt64LE(o) : data.readBigUInt64BE(o)) : u32(o));
  const phoff = is64 ? word(0x20) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  const segments: Array<{ type: number; offset: number; vaddr: number; filesz: number }> = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (p + phentsize > data.length) return undefined;
    segments.push(
      is64
        ? { type: u32(p), offset: word(p + 8), vaddr: word(p + 16), filesz: word(p + 32) }
        : { type: u32(p), offset: u32(p + 4), vaddr: u32(p + 8), filesz: u32(p + 16) },
    );
  }
  const cString = (offset: number) => {
    const end = data.indexOf(0, offset);
    return data.toString('utf8', offset, end < 0 ? data.length : end);
  };
  const result: ElfDependencies = { needed: [], runpath: [] };
  const interp = segments.find((s) => s.type === PT_INTERP);
  if (interp) result.interpreter = cString(interp.offset);
  const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
  if (!dynamic) return result;
  // Dynamic entries hold string-table offsets; the table's address is virtual: map it through PT_LOAD.
  const entrySize = is64 ? 16 : 8;
  const entries: Array<[number, number]> = [];
  for (let o = dynamic.offset; o + entrySize <= dynamic.offset + dynamic.filesz; o += entrySize) {
    const tag = word(o);
    if (tag === DT_NULL) break;
    entries.push([tag, word(o + entrySize / 2)]);
  }
  const strtabAddr = entries.find(([tag]) => tag === DT_STRTAB)?.[1];
  if (strtabAddr === undefined) return result;
  const load = segments.find((s) => s.type === PT_LOAD && strtabAddr >= s.vaddr && strtabAddr < s.vaddr + s.filesz);
  const strtab = load ? strtabAddr - load.vaddr + load.offset : strtabAddr;
  for (const [tag, value] of entries) {
    if (tag === DT_NEEDED) result.needed.push(cString(strtab + value));
    else if (tag === DT_RUNPATH || tag === DT_RPATH) result.runpath.push(...cString(strtab + value).split(':').filter(Boolean));
  }
  return result;
}
