/** Cluster resolution (the implementation lives in cluster-source.ts). */
export { resolveHosts, fetchText, displayUrl, type ResolveOptions, type FetchOptions } from './cluster-source';
