/** Reading TF GraphDef attributes from their JSON form (strings are base64). */
import type { TfNode } from './weights.js';

function b64(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

export function attrString(node: TfNode, key: string, fallback = ''): string {
  const a = node.attr?.[key];
  return a?.s !== undefined ? b64(a.s) : fallback;
}

export function attrInt(node: TfNode, key: string, fallback = 0): number {
  const a = node.attr?.[key];
  return a?.i !== undefined ? Number(a.i) : fallback;
}

export function attrFloat(node: TfNode, key: string, fallback = 0): number {
  const a = node.attr?.[key];
  return a?.f !== undefined ? Number(a.f) : fallback;
}

export function attrBool(node: TfNode, key: string, fallback = false): boolean {
  const a = node.attr?.[key];
  return a?.b !== undefined ? Boolean(a.b) : fallback;
}

export function attrInts(node: TfNode, key: string, fallback: number[] = []): number[] {
  const a = node.attr?.[key];
  return a?.list?.i ? a.list.i.map(Number) : fallback;
}

export function attrStrings(node: TfNode, key: string): string[] {
  const a = node.attr?.[key];
  return a?.list?.s ? a.list.s.map(b64) : [];
}

export function attrType(node: TfNode, key: string): string | undefined {
  return node.attr?.[key]?.type;
}
