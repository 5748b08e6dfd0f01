// TEMPORARY: dev adapter until lib/containerd/grpc.ts lands.
export { devRpcOpen as openImagesRpc } from '../../.cache/dev-b2/dev-rpc.mts';
