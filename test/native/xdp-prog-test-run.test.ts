/**
 * The fault program judged frame by frame with BPF_PROG_TEST_RUN, against the
 * real kernel verifier and the live maps (no interface involved).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StateError, SpecError } from '../../lib/errors.js';
import { FaultEngine, XDP_ACTION } from '../../lib/native/fault-engine.js';
import { PolicyMatrix } from '../../lib/native/policy-matrix.js';
import { ARP_IPV4, ETH_HEADER, IPV4_HEADER, arpFrame, ipv4Frame, ipv6Frame, lldpFrame } from './xdp-frames.js';

const RUNNER = '198.18.250.1';
const A = '198.18.250.2';
const B = '198.18.250.3';
const C = '198.18.250.4';
const [R_I, A_I, B_I, C_I] = [0, 1, 2, 3];
const { drop: DROP, pass: PASS } = XDP_ACTION;

let engine: FaultEngine;
let policy: PolicyMatrix;

function commitWith(fill: (p: PolicyMatrix) => void): void {
  policy.clear();
  fill(policy);
  engine.commit(policy);
}

function countersAt(index: number): { passed: bigint; dropped: bigint } {
  return engine.counters()[index]!;
}

beforeAll(async () => {
  engine = await FaultEngine.load({ maxNodes: 4 });
  policy = engine.createPolicy();
  engine.setNodeAddress(RUNNER, R_I);
  engine.setNodeAddress(A, A_I);
  engine.setNodeAddress(B, B_I);
  engine.setNodeAddress(C, C_I);
});

afterAll(() => engine?.close());

beforeEach(() => commitWith(() => {}));

describe('IPv4', () => {
  it('passes everything under an empty policy', () => {
    for (const [s, d] of [[A, B], [B, A], [RUNNER, C], [C, RUNNER]] as const) {
      expect(engine.testRun(ipv4Frame(s, d))).toBe(PASS);
    }
  });

  it('drops a cut pair in both directions and leaves other pairs alone', () => {
    commitWith((p) => {
      p.cut(A_I, B_I);
      p.cut(B_I, A_I);
    });
    expect(engine.testRun(ipv4Frame(A, B))).toBe(DROP);
    expect(engine.testRun(ipv4Frame(B, A))).toBe(DROP);
    expect(engine.testRun(ipv4Frame(A, C))).toBe(PASS);
    expect(engine.testRun(ipv4Frame(C, B))).toBe(PASS);
  });

  it('one-way cut A→B drops A→B only', () => {
    commitWith((p) => p.cut(A_I, B_I));
    expect(engine.testRun(ipv4Frame(A, B))).toBe(DROP);
    expect(engine.testRun(ipv4Frame(B, A))).toBe(PASS);
  });

  it('addresses of no node pass and are counted as outside', () => {
    commitWith((p) => {
      for (let s = 0; s < 4; s++) for (let d = 0; d < 4; d++) p.cut(s, d);
    });
    const before = engine.outsideCounters();
    expect(engine.testRun(ipv4Frame(A, '203.0.113.9'))).toBe(PASS);
    expect(engine.testRun(ipv4Frame('203.0.113.9', A))).toBe(PASS);
    expect(engine.outsideCounters().passed - before.passed).toBe(1n);
  });

  it('a removed node address is no longer judged', () => {
    engine.setNodeAddress('198.18.250.9', C_I);
    commitWith((p) => p.cut(A_I, C_I));
    expect(engine.testRun(ipv4Frame(A, '198.18.250.9'))).toBe(DROP);
    engine.removeNodeAddress('198.18.250.9');
    expect(engine.testRun(ipv4Frame(A, '198.18.250.9'))).toBe(PASS);
  });
});

describe('ARP', () => {
  // ARP obeys full cuts only (bpf/fault.bpf.c): an isolated node cannot resolve
  // its neighbours, while a one-way cut keeps resolution (a round trip) working.
  it('requests and replies are dropped across a two-way cut', () => {
    commitWith((p) => {
      p.cut(A_I, B_I);
      p.cut(B_I, A_I);
    });
    expect(engine.testRun(arpFrame(1, A, B))).toBe(DROP); // A asks for B
    expect(engine.testRun(arpFrame(2, A, B))).toBe(DROP); // A answers B
    expect(engine.testRun(arpFrame(1, B, A))).toBe(DROP);
    expect(engine.testRun(arpFrame(2, B, A))).toBe(DROP);
    expect(engine.testRun(arpFrame(1, A, C))).toBe(PASS); // A -> C is not cut
  });

  it('pass across a one-way cut, in both directions', () => {
    commitWith((p) => p.cut(A_I, B_I));
    expect(engine.testRun(ipv4Frame(A, B))).toBe(DROP);
    expect(engine.testRun(arpFrame(1, A, B))).toBe(PASS);
    expect(engine.testRun(arpFrame(2, B, A))).toBe(PASS);
  });

  it('are never dropped by loss', () => {
    commitWith((p) => {
      p.setLoss(A_I, B_I, 100);
      p.setLoss(B_I, A_I, 100);
    });
    expect(engine.testRun(ipv4Frame(A, B))).toBe(DROP);
    expect(engine.testRun(arpFrame(1, A, B))).toBe(PASS);
  });

  it('pass after heal', () => {
    commitWith((p) => {
      p.cut(A_I, B_I);
      p.cut(B_I, A_I);
    });
    expect(engine.testRun(arpFrame(1, A, B))).toBe(DROP);
    commitWith(() => {});
    expect(engine.testRun(arpFrame(1, A, B))).toBe(PASS);
  });
});

describe('other network protocols (the run network is IPv4 only)', () => {
  // IPv6 link-local addresses exist on every node's eth0: judged by nothing, IPv6 walked through every partition.
  it('IPv6 is dropped with no fault at all, and under a cut', () => {
    expect(engine.testRun(ipv4Frame(A, B))).toBe(PASS);
    expect(engine.testRun(ipv6Frame(A, B))).toBe(DROP);
    commitWith((p) => p.cut(A_I, B_I));
    expect(engine.testRun(ipv6Frame(A, B))).toBe(DROP);
  });

  it('any other EtherType (LLDP here) is dropped too', () => {
    expect(engine.testRun(lldpFrame())).toBe(DROP);
  });
});

describe('frames that are not judged', () => {
  beforeEach(() =>
    commitWith((p) => {
      for (let s = 0; s < 4; s++) for (let d = 0; d < 4; d++) p.cut(s, d);
    }),
  );

  it('IPv4 under a cut is dropped; the checks below are not about a missing cut', () => {
    expect(engine.testRun(ipv4Frame(A, B))).toBe(DROP);
  });

  it('IPv4 frames with another version or a short IHL pass', () => {
    const v6InV4 = ipv4Frame(A, B);
    v6InV4[ETH_HEADER] = 0x65;
    const shortIhl = ipv4Frame(A, B);
    shortIhl[ETH_HEADER] = 0x44;
    expect(engine.testRun(v6InV4)).toBe(PASS);
    expect(engine.testRun(shortIhl)).toBe(PASS);
  });

  it('ARP that is not IPv4-over-Ethernet passes', () => {
    const frame = arpFrame(1, A, B);
    frame[ETH_HEADER + 4] = 8; // hlen
    expect(engine.testRun(frame)).toBe(PASS);
  });

  it('truncated frames pass, whatever the bytes past the end would say', () => {
    const ip = ipv4Frame(A, B);
    const arp = arpFrame(1, A, B);
    const counted = () => engine.counters().reduce((sum, c) => sum + c.passed + c.dropped, 0n);
    const before = counted();
    // 0..13 bytes (no Ethernet header), the Ethernet header only, every partial IPv4 header.
    for (let visible = 0; visible < ETH_HEADER + IPV4_HEADER; visible++) {
      expect(engine.testRun(ip, visible), `IPv4 frame cut at ${visible} bytes`).toBe(PASS);
    }
    for (let visible = ETH_HEADER; visible < ETH_HEADER + ARP_IPV4; visible++) {
      expect(engine.testRun(arp, visible), `ARP frame cut at ${visible} bytes`).toBe(PASS);
    }
    expect(engine.testRun(new Uint8Array(0))).toBe(PASS);
    expect(counted()).toBe(before); // not judged, so not counted
    // The complete frames are judged (and dropped: every pair is cut both ways).
    expect(engine.testRun(ip, ETH_HEADER + IPV4_HEADER)).toBe(DROP);
    expect(engine.testRun(arp, ETH_HEADER + ARP_IPV4)).toBe(DROP);
  });
});

describe('loss', () => {
  const runs = 100_000;

  async function dropRatio(percent: number): Promise<number> {
    commitWith((p) => p.setLoss(A_I, B_I, percent));
    const before = countersAt(B_I);
    await engine.testRunRepeat(ipv4Frame(A, B), runs);
    const after = countersAt(B_I);
    expect(after.passed + after.dropped - before.passed - before.dropped).toBe(BigInt(runs));
    return Number(after.dropped - before.dropped) / runs;
  }

  it('0 % passes all, 100 % drops all', async () => {
    expect(await dropRatio(0)).toBe(0);
    expect(await dropRatio(100)).toBe(1);
  });

  it('50 % drops half within 5 sigma over 100,000 frames, and only on that cell', async () => {
    const ratio = await dropRatio(50);
    const sigma = Math.sqrt(0.25 / runs);
    expect(Math.abs(ratio - 0.5)).toBeLessThan(5 * sigma);
    expect(engine.testRun(ipv4Frame(B, A))).toBe(PASS);
  });

  it('10 % within 5 sigma', async () => {
    const ratio = await dropRatio(10);
    expect(Math.abs(ratio - 0.1)).toBeLessThan(5 * Math.sqrt((0.1 * 0.9) / runs));
  });

  it('healing the loss restores every frame', async () => {
    await dropRatio(100);
    expect(await dropRatio(0)).toBe(0);
  });
});

describe('double buffer', () => {
  it('each commit flips to a complete new policy; old and new never mix', () => {
    commitWith((p) => p.cut(A_I, B_I));
    expect([engine.testRun(ipv4Frame(A, B)), engine.testRun(ipv4Frame(B, A))]).toEqual([DROP, PASS]);
    commitWith((p) => p.cut(B_I, A_I));
    expect([engine.testRun(ipv4Frame(A, B)), engine.testRun(ipv4Frame(B, A))]).toEqual([PASS, DROP]);
    // A third commit reuses the first buffer: nothing of the first policy is left.
    commitWith((p) => p.cut(C_I, A_I));
    expect([engine.testRun(ipv4Frame(A, B)), engine.testRun(ipv4Frame(B, A)), engine.testRun(ipv4Frame(C, A))]).toEqual([
      PASS,
      PASS,
      DROP,
    ]);
    // Loss left in a buffer by an earlier commit is cleared when it is reused without loss.
    commitWith((p) => p.setLoss(A_I, B_I, 100));
    commitWith(() => {});
    commitWith(() => {});
    expect(engine.testRun(ipv4Frame(A, B))).toBe(PASS);
  });

  it('a reused buffer keeps no loss cell of its last policy, from sparse rows or dense ones', async () => {
    // 64 nodes: a row of one cell stays sparse, a row to every node is dense.
    const mid = await FaultEngine.load({ maxNodes: 64 });
    try {
      const address = (i: number) => `198.18.251.${i + 1}`;
      for (let i = 0; i < 64; i++) mid.setNodeAddress(address(i), i);
      const first = mid.createPolicy();
      first.setLoss(1, 2, 100);
      for (let d = 0; d < 64; d++) if (d !== 3) first.setLoss(3, d, 100);
      mid.commit(first);
      expect([mid.testRun(ipv4Frame(address(1), address(2))), mid.testRun(ipv4Frame(address(3), address(40)))]).toEqual([DROP, DROP]);
      mid.commit(mid.createPolicy());
      // Third commit: the first buffer again, with another loss only.
      const third = mid.createPolicy();
      third.setLoss(2, 1, 100);
      mid.commit(third);
      expect([
        mid.testRun(ipv4Frame(address(1), address(2))),
        mid.testRun(ipv4Frame(address(3), address(40))),
        mid.testRun(ipv4Frame(address(2), address(1))),
      ]).toEqual([PASS, PASS, DROP]);
    } finally {
      mid.close();
    }
  });

  it('frames judged while commits alternate see one whole policy each (no torn read)', async () => {
    // Two policies that both drop A→B, each in a different way: a frame judged on
    // a half-written buffer (drop bit of one, loss flag of the other) would pass.
    // Many nodes so that a commit is long (µs) and the two fields lie far apart.
    const big = await FaultEngine.load({ maxNodes: 1000 });
    try {
      const [a, b] = [999, 998];
      big.setNodeAddress(A, a);
      big.setNodeAddress(B, b);
      const byCut = big.createPolicy();
      byCut.cut(a, b);
      const byLoss = big.createPolicy();
      byLoss.setLoss(a, b, 100);
      big.commit(byCut);
      const runs = 2_000_000;
      let commits = 0;
      let finished = false;
      const judged = big.testRunRepeat(ipv4Frame(A, B), runs).finally(() => (finished = true));
      while (!finished) {
        for (let i = 0; i < 50; i++) big.commit(++commits % 2 ? byLoss : byCut);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await judged;
      const counters = big.counters()[b]!;
      expect(commits).toBeGreaterThan(100);
      expect(counters.dropped).toBe(BigInt(runs));
      expect(counters.passed).toBe(0n);
    } finally {
      big.close();
    }
  });
});

describe('policy layout shared by TS and the program', () => {
  it('every cell of a 130-node matrix (3 words per row) is judged as the matrix says', async () => {
    const nodes = 130;
    const wide = await FaultEngine.load({ maxNodes: nodes });
    try {
      const address = (i: number) => `198.18.${100 + (i >> 8)}.${i & 255}`;
      for (let i = 0; i < nodes; i++) wide.setNodeAddress(address(i), i);
      const edges = [0, 1, 31, 32, 33, 63, 64, 65, 95, 96, 127, 128, 129];
      const matrix = wide.createPolicy();
      // A pattern that differs per cell: cut where (s * 7 + d * 3) % 5 === 0, 100 % loss where it is 1.
      for (const s of edges) {
        for (const d of edges) {
          const k = (s * 7 + d * 3) % 5;
          if (k === 0) matrix.cut(s, d);
          if (k === 1) matrix.setLoss(s, d, 100);
        }
      }
      wide.commit(matrix);
      for (const s of edges) {
        for (const d of edges) {
          const k = (s * 7 + d * 3) % 5;
          const expected = k === 0 || k === 1 ? DROP : PASS;
          expect(wide.testRun(ipv4Frame(address(s), address(d))), `${s}→${d}`).toBe(expected);
        }
      }
    } finally {
      wide.close();
    }
  });
});

describe('counters', () => {
  it('count passed and dropped frames at the destination node', () => {
    commitWith((p) => p.cut(A_I, B_I));
    const before = engine.counters();
    engine.testRun(ipv4Frame(A, B));
    engine.testRun(ipv4Frame(A, B));
    engine.testRun(ipv4Frame(B, A));
    engine.testRun(ipv4Frame(C, B));
    const after = engine.counters();
    expect(after[B_I]!.dropped - before[B_I]!.dropped).toBe(2n);
    expect(after[B_I]!.passed - before[B_I]!.passed).toBe(1n);
    expect(after[A_I]!.passed - before[A_I]!.passed).toBe(1n);
    expect(after[C_I]).toEqual(before[C_I]);
  });
});

describe('engine lifecycle', () => {
  it('rejects invalid input with errors for people', async () => {
    await expect(FaultEngine.load({ maxNodes: 0 })).rejects.toBeInstanceOf(SpecError);
    expect(() => engine.setNodeAddress('not-an-ip', 1)).toThrow(SpecError);
    expect(() => engine.setNodeAddress(A, 4)).toThrow(/out of range/);
    expect(() => engine.commit(new PolicyMatrix(5))).toThrow(/engine.createPolicy/);
    expect(() => policy.cut(0, 4)).toThrow(SpecError);
    expect(() => policy.setLoss(0, 1, 101)).toThrow(SpecError);
  });

  it('close() frees the program and its maps, and is idempotent', async () => {
    const own = await FaultEngine.load({ maxNodes: 3 });
    const progId = Number(/prog_id:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${own.progFd}`, 'utf8'))![1]);
    const show = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show', 'id', String(progId)], { encoding: 'utf8' })) as {
      name: string;
      map_ids: number[];
    };
    expect(show.name).toBe('pakostii_xdp');
    own.close();
    own.close();
    expect(() => own.commit(own.createPolicy())).toThrow(StateError);
    expect(() => own.progFd).toThrow(StateError);
    const exists = (kind: 'prog' | 'map', id: number) => {
      try {
        execFileSync('bpftool', [kind, 'show', 'id', String(id)], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };
    // Maps are freed from a kernel work item: give it a moment.
    for (let i = 0; i < 50 && [progId, ...show.map_ids].some((id, k) => exists(k === 0 ? 'prog' : 'map', id)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(exists('prog', progId)).toBe(false);
    for (const id of show.map_ids) expect(exists('map', id), `map ${id}`).toBe(false);
  });
});
