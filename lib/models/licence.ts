/**
 * Licence awareness: what each model's licence allows, recorded in its
 * manifest (`use`) and shown by `livefr models list`; loading a model whose
 * licence forbids commercial use warns once per process.
 *
 * - 'commercial': the licence allows commercial use (MIT, Apache-2.0, BSD,
 *   Boost, public domain);
 * - 'non-commercial': it does not (research-only terms, CC BY-NC, ...);
 * - 'unverified': the package's licence allows it, but where the weights
 *   come from (and so what their own terms are) is not stated.
 *
 * A bring-your-own .onnx without a manifest is looked up by sha256 among
 * well-known public releases whose terms are known (KNOWN_MODEL_FILES).
 */
export type LicenceUse = 'commercial' | 'non-commercial' | 'unverified';

export interface LicenceInfo {
  licence: string;
  use: LicenceUse;
}

const NON_COMMERCIAL = /non[- ]?commercial|research (purposes? )?only|academic (use )?only|\bCC[- ]BY[- ](NC|SA[- ]NC)\b/i;
const PERMISSIVE = /^(MIT|Apache[- ]2\.0|BSD|ISC|Boost|Zlib|Unlicense|CC0|public domain)/i;
const UNCLEAR = /may differ|unknown origin|not say where|\(packaging\)/i;

/** What a licence text allows. */
export function licenceUse(text: string): LicenceUse {
  if (NON_COMMERCIAL.test(text)) return 'non-commercial';
  if (UNCLEAR.test(text)) return 'unverified';
  return PERMISSIVE.test(text.trim()) ? 'commercial' : 'unverified';
}

/**
 * Public model releases livefr recognises by their bytes, with their terms.
 * InsightFace's SCRFD weights are released for non-commercial research
 * only (its model zoo's terms).
 */
export const KNOWN_MODEL_FILES: Readonly<Record<string, { name: string } & LicenceInfo>> = {
  '517cb1980c72422e676738fc45431700fb7cbee56d0f825b623ee427b3e5ce58': {
    name: 'InsightFace SCRFD-500M (kps)',
    licence: 'InsightFace model zoo: non-commercial research purposes only',
    use: 'non-commercial',
  },
  '32d20c77b9e2dc1d07e94c2ab9d25bdd5cd05eddbe0b46e7b38e7a1eca22e99a': {
    name: 'InsightFace SCRFD-2.5G (kps)',
    licence: 'InsightFace model zoo: non-commercial research purposes only',
    use: 'non-commercial',
  },
};

const warned = new Set<string>();

/**
 * Warns once per process per model (by sha256) when `info` forbids
 * commercial use. Returns whether it warned.
 */
export function warnIfNonCommercial(what: string, sha256: string, info: LicenceInfo | undefined): boolean {
  if (!info || info.use !== 'non-commercial' || warned.has(sha256)) return false;
  warned.add(sha256);
  process.emitWarning(`${what} is licensed for non-commercial use only (${info.licence}); check its terms before any operational or commercial use`, {
    type: 'LicenceWarning',
    code: 'LIVEFR_NON_COMMERCIAL_MODEL',
  });
  return true;
}

/** A short form of a licence text for listings ("Apache-2.0 (MediaPipe weights), packaged MIT ..." stays readable). */
export function shortLicence(text: string, max = 32): string {
  const first = text.split(/;|\.\s/)[0]!.trim();
  return first.length <= max ? first : `${first.slice(0, max - 1)}…`;
}
