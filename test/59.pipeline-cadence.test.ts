/**
 * The scheduler when detection cannot keep up with the frames: every frame
 * still goes through the tracker (tracked only, by motion), detection takes
 * the newest frame each time it is free, the next frame's detection runs
 * while the previous frame embeds, and the counters say which frames were
 * detected, tracked only or dropped.
 *
 * The detector is the real one behind a gate that the test opens once per
 * 5 pushed frames (and waits for that detection to finish), so which frames
 * are detected is fixed by the test, not by the machine's speed: frame 0,
 * then the newest frame at each opening. No timings are asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Detector, Embedder, Watchlist } from '../dist/index.js';
import { createPipeline, type Alert } from '../dist/pipeline/index.js';
import { canRun, enrolledWatchlist, loadModels, SKIP_PIPELINE, walkVideo, walkerOf, walkers, type WalkVideo } from './helpers/pipeline-fixture.js';

const K = 5;

describe.skipIf(!canRun)('pipeline cadence: detection on the newest frame, tracking on every frame', () => {
  let detector: Detector;
  let embedder: Embedder;
  let watchlist: Watchlist;
  let video: WalkVideo;
  const list = canRun ? walkers(6) : [];

  beforeAll(async () => {
    video = await walkVideo(list);
    ({ detector, embedder } = await loadModels());
    watchlist = await enrolledWatchlist(detector, embedder, list);
  });

  afterAll(async () => {
    await detector?.close();
    await embedder?.close();
  });

  it('detects the newest frame when the detector is free, tracks the others, overlaps detection and embedding, and still alerts each enrolled walker', async () => {
    // The gate: a detection waits for a token; the test gives one per K pushed frames.
    let tokens = 0;
    let wake: (() => void) | null = null;
    let started = 0;
    let regionCalls = 0;
    let finished = 0;
    let progress: (() => void) | null = null;
    const detectedSizes: number[] = [];
    const gated = {
      detect: async (frame: Parameters<Detector['detect']>[0], o?: Parameters<Detector['detect']>[1]) => {
        // No detectWithInfo here: the motion gate (on by default) cannot know where detection looked, so
        // every detection asks for the whole plan (no regions).
        if (o?.regions !== undefined) regionCalls++;
        started++;
        progress?.();
        while (tokens === 0) await new Promise<void>((r) => (wake = r));
        tokens--;
        try {
          const faces = await detector.detect(frame, o);
          detectedSizes.push(faces.length);
          return faces;
        } finally {
          finished++;
          progress?.();
        }
      },
      close: async () => {},
    } as unknown as Detector;
    // Embedding calls record how many detections were running meanwhile (overlap within the stream).
    const inFlightAtEmbed: number[] = [];
    const watched = new Proxy(embedder, {
      get(target, key, receiver) {
        if (key === 'embed') {
          return (...a: Parameters<Embedder['embed']>) => {
            inFlightAtEmbed.push(started - finished);
            return target.embed(...a);
          };
        }
        const v = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const pipeline = await createPipeline({ detector: gated, embedder: watched, watchlist });
    const alerts: Alert[] = [];
    const errors: Error[] = [];
    pipeline.on('alert', (a: Alert) => alerts.push(a));
    pipeline.on('error', (e: Error) => errors.push(e));
    pipeline.addStream('cam', { push: true });

    const { VideoSource } = await import('../dist/pipeline/source.js');
    const src = new VideoSource(video.file, { realtime: false, poolSize: 2 });
    let pushed = 0;
    const accepted: number[] = [];
    await new Promise<void>((resolve, reject) => {
      let chain = Promise.resolve();
      src.on('frame', (f) => {
        chain = chain.then(async () => {
          if (pipeline.push('cam', { data: f.data, width: f.width, height: f.height, format: f.format }, f.index * 40)) accepted.push(f.index);
          src.release(f);
          pushed++;
          if (pushed % K === 0) {
            // Open the gate for one detection; wait until it has run and the waiting frame's detection has started.
            const target = finished + 1;
            const ready = () => finished >= target && started >= target + 1;
            tokens++;
            wake?.();
            await new Promise<void>((r) => {
              progress = () => ready() && r();
              if (ready()) r();
            });
            progress = null;
          }
        }).catch(reject);
      });
      src.on('end', (e) => chain.then(() => (e ? reject(e) : resolve())));
      src.start();
    });
    // The rest without the gate.
    tokens = 1e9;
    wake?.();
    while (pipeline.status('cam').processed + pipeline.status('cam').dropped < video.frames) await new Promise((r) => setTimeout(r, 20));
    const st = pipeline.status('cam');
    await pipeline.removeStream('cam');
    await pipeline.close();
    console.log(`[59] ${st.frames} frames: ${st.detected} detected, ${st.tracked} tracked only, ${st.dropped} dropped; ${st.embeddings} embeddings, ${st.tracks} tracks; alerts ${alerts.map((a) => `${a.watchlistId}@${a.frame}`).join(', ')}; detections running at embed calls ${JSON.stringify([...new Set(inFlightAtEmbed)])}`);

    expect(errors).toEqual([]);
    // Frame 0, then the newest frame each time the gate opened (frames 4, 9, 14, ...), plus the last one waiting at the end.
    expect(st.frames).toBe(video.frames);
    expect(st.dropped).toBe(0);
    expect(st.processed).toBe(video.frames);
    expect(st.detected).toBe(Math.floor(video.frames / K) + 1);
    expect(st.tracked).toBe(video.frames - st.detected);
    expect(st.skipped).toBe(0);
    expect(accepted.length).toBe(video.frames);
    expect(regionCalls).toBe(0);
    // The detection of the next frame ran while this frame embedded.
    expect(Math.max(...inFlightAtEmbed)).toBeGreaterThanOrEqual(1);
    // Tracks carried the faces across the frames without detection: every enrolled walker alerted,
    // on a detected frame, nobody else, once per track and identity.
    const detectedFrames = new Set([0, ...Array.from({ length: Math.floor(video.frames / K) }, (_, i) => (i + 1) * K - 1)]);
    for (const a of alerts) {
      expect(walkerOf(a, video)?.id).toBe(a.watchlistId);
      expect(detectedFrames.has(a.frame) || a.frame === video.frames - 1, `alert on frame ${a.frame}`).toBe(true);
    }
    const ids = new Set(alerts.map((a) => a.watchlistId));
    for (const w of video.walkers.filter((x) => x.enrolled)) expect(ids.has(w.id), `no alert for ${w.id}`).toBe(true);
    const keys = alerts.map((a) => `${a.trackId}:${a.watchlistId}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(st.embeddings).toBeLessThanOrEqual(st.tracks * 4 + 8);
  });

  it('alerts on the face that matched: a track that moves onto another face is verified first, and does not alert on it', async () => {
    const sharp = (await import('sharp')).default;
    const W = 640;
    const H = 480;
    const frameWith = async (file: string | null) => {
      const base = sharp({ create: { width: W, height: H, channels: 3, background: { r: 120, g: 120, b: 120 } } });
      const img = file ? base.composite([{ input: file, left: 200, top: 120 }]) : base;
      const data = await img.removeAlpha().raw().toBuffer();
      return { data, width: W, height: H, format: 'rgb' as const };
    };
    const a = list.find((p) => p.enrolled)!;
    const b = list.find((p) => !p.enrolled)!;
    // Frame 0 empty; 1: enrolled A (a new, tentative track; its score passes); 2: non-enrolled B in the
    // same place (the same track, now confirmed); 3: A again.
    const frames = [await frameWith(null), await frameWith(a.file), await frameWith(b.file), await frameWith(a.file)];
    const pipeline = await createPipeline({ detector, embedder, watchlist, realtime: false });
    const alerts: Alert[] = [];
    pipeline.on('alert', (x: Alert) => alerts.push(x));
    pipeline.addStream('door', { push: true });
    for (const [i, fr] of frames.entries()) {
      pipeline.push('door', fr, i * 40);
      while (pipeline.status('door').processed + pipeline.status('door').dropped <= i) await new Promise((r) => setTimeout(r, 5));
    }
    const st = pipeline.status('door');
    await pipeline.removeStream('door');
    await pipeline.close();
    console.log(`[59] verification: alerts ${alerts.map((x) => `${x.watchlistId}@${x.frame} track ${x.trackId}`).join(', ')}; ${st.tracks} tracks, ${st.embeddings} embeddings`);
    // One track throughout (B took A's track), and no alert on B's face in frame 2.
    expect(st.tracks).toBe(1);
    expect(alerts.filter((x) => x.frame === 2)).toEqual([]);
    expect(alerts.map((x) => [x.watchlistId, x.frame])).toEqual([[a.id, 3]]);
    expect(st.embeddings).toBe(3);
  });

  it('re-embeds a face that has not moved 4x less often than one that moves (the same view again)', async () => {
    const sharp = (await import('sharp')).default;
    const b = list.find((p) => !p.enrolled)!;
    const face = await sharp(b.file).resize(160, 160).toBuffer(); // a face box of about 70 px
    const at = async (left: number) => {
      const data = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 120, g: 120, b: 120 } } })
        .composite([{ input: face, left, top: 120 }])
        .removeAlpha()
        .raw()
        .toBuffer();
      return { data, width: 640, height: 480, format: 'rgb' as const };
    };
    const run = async (frameAt: (i: number) => Promise<Awaited<ReturnType<typeof at>>>) => {
      const pipeline = await createPipeline({ detector, embedder, watchlist, realtime: false, reembedEvery: 8 });
      pipeline.addStream('door', { push: true });
      for (let i = 0; i < 41; i++) {
        pipeline.push('door', await frameAt(i), i * 40);
        while (pipeline.status('door').processed + pipeline.status('door').dropped <= i) await new Promise((r) => setTimeout(r, 5));
      }
      const st = pipeline.status('door');
      await pipeline.removeStream('door');
      await pipeline.close();
      return st;
    };
    const still = await at(200);
    const s1 = await run(async () => still);
    // The same face sliding 6 px a frame: it moves more than half its size every 8 frames.
    const frames = await Promise.all(Array.from({ length: 41 }, (_, i) => at(40 + 6 * i)));
    const s2 = await run(async (i) => frames[i]!);
    console.log(`[59] re-embedding: still face ${s1.embeddings} embeddings (${s1.tracks} track), moving face ${s2.embeddings} (${s2.tracks} track)`);
    expect(s1.tracks).toBe(1);
    expect(s1.detected).toBe(41);
    expect(s1.embeddings).toBe(2); // frame 0, then after 4 x 8 detections
    expect(s2.tracks).toBe(1);
    expect(s2.embeddings).toBeGreaterThanOrEqual(4); // every 8 detections: frames 0, 8, 16, 24 (the track's cap is 4)
  });

  it('gives first embeddings to new faces before a still face that waits, the better face first', async () => {
    const sharp = (await import('sharp')).default;
    const others = list.filter((p) => !p.enrolled);
    const big = await sharp(others[0]!.file).resize(220, 220).toBuffer();
    const small = await sharp(others[2]!.file).resize(130, 130).toBuffer();
    const frameOf = async (parts: { input: Buffer; left: number }[]) => {
      const data = await sharp({ create: { width: 800, height: 480, channels: 3, background: { r: 120, g: 120, b: 120 } } })
        .composite(parts.map((p) => ({ ...p, top: 100 })))
        .removeAlpha()
        .raw()
        .toBuffer();
      return { data, width: 800, height: 480, format: 'rgb' as const };
    };
    // Frame 0: a large face X and a small one A; one embedding per frame, the better face first (A: the
    // upscaled X is less sharp). Frame 1: X still waits, now known to be still (seen twice in one place), and
    // Y, a copy of A, appears: Y, whose motion is not known yet, goes first (a still face stays in view and
    // can wait); X at frame 2.
    const frames = [
      await frameOf([{ input: big, left: 20 }, { input: small, left: 330 }]),
      await frameOf([{ input: big, left: 20 }, { input: small, left: 330 }, { input: small, left: 600 }]),
      await frameOf([{ input: big, left: 20 }, { input: small, left: 330 }, { input: small, left: 600 }]),
    ];
    const widths: number[][] = [];
    const watched = new Proxy(embedder, {
      get(target, key, receiver) {
        if (key === 'embed') {
          return (frame: Parameters<Embedder['embed']>[0], faces: Parameters<Embedder['embed']>[1]) => {
            widths.push(faces.map((f) => Math.round(f.box.width)));
            return target.embed(frame, faces);
          };
        }
        const v = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const pipeline = await createPipeline({ detector, embedder: watched, watchlist, realtime: false, maxEmbeddingsPerFrame: 1 });
    pipeline.addStream('door', { push: true });
    for (const [i, fr] of frames.entries()) {
      pipeline.push('door', fr, i * 40);
      while (pipeline.status('door').processed + pipeline.status('door').dropped <= i) await new Promise((r) => setTimeout(r, 5));
    }
    await pipeline.removeStream('door');
    await pipeline.close();
    console.log(`[59] first embeddings, face widths per frame: ${JSON.stringify(widths)}`);
    expect(widths).toHaveLength(3);
    expect(widths.every((w) => w.length === 1)).toBe(true);
    const [first, second, third] = widths.map((w) => w[0]!);
    expect(first!).toBeLessThan(0.8 * third!); // frame 0: A (the better face)
    expect(second!).toBeLessThan(0.8 * third!); // frame 1: the new Y before the still X
    expect(third!).toBeGreaterThan(1.25 * first!); // frame 2: X, the larger face
  });

  /** Pushes frames one at a time (each detected) and records the face boxes of every embed() call. */
  const embedLog = async (frames: { data: Buffer; width: number; height: number; format: 'rgb' }[], maxEmbeddingsPerFrame: number) => {
    const calls: { frame: number; boxes: { x: number; y: number; width: number }[] }[] = [];
    let pushed = -1;
    const watched = new Proxy(embedder, {
      get(target, key, receiver) {
        if (key === 'embed') {
          return (frame: Parameters<Embedder['embed']>[0], faces: Parameters<Embedder['embed']>[1]) => {
            calls.push({ frame: pushed, boxes: faces.map((f) => ({ x: f.box.x, y: f.box.y, width: f.box.width })) });
            return target.embed(frame, faces);
          };
        }
        const v = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const pipeline = await createPipeline({ detector, embedder: watched, watchlist, realtime: false, maxEmbeddingsPerFrame });
    pipeline.addStream('door', { push: true });
    for (const [i, fr] of frames.entries()) {
      pushed = i;
      pipeline.push('door', fr, i * 40);
      while (pipeline.status('door').processed + pipeline.status('door').dropped <= i) await new Promise((r) => setTimeout(r, 5));
    }
    const st = pipeline.status('door');
    await pipeline.removeStream('door');
    await pipeline.close();
    return { calls, status: st };
  };
  const faceImages = async (n: number, size: number) => {
    const sharp = (await import('sharp')).default;
    return Promise.all(list.filter((p) => !p.enrolled).slice(0, n).map((p) => sharp(p.file).resize(size, size).toBuffer()));
  };
  const canvas = async (parts: { input: Buffer; left: number; top: number }[]) => {
    const sharp = (await import('sharp')).default;
    const data = await sharp({ create: { width: 960, height: 540, channels: 3, background: { r: 120, g: 120, b: 120 } } })
      .composite(parts)
      .removeAlpha()
      .raw()
      .toBuffer();
    return { data, width: 960, height: 540, format: 'rgb' as const };
  };

  it('embeds a moving face before still ones, and still faces at most a quarter of a frame\'s embeddings', async () => {
    // Six still faces in two rows and one face walking 12 px a frame below them; 4 embeddings a frame at most,
    // of which still faces get 1. Frame 0: every face is new (motion unknown): 4 of the 7. From frame 1 the
    // walker, if it waits, goes first, and the still faces that wait are embedded one a frame.
    const [a, b, c] = await faceImages(3, 110);
    const places = [40, 340, 640].flatMap((left) => [20, 190].map((top) => ({ left, top })));
    const people = [a!, b!, c!, a!, b!, c!];
    const frames = await Promise.all(
      Array.from({ length: 12 }, (_, i) => canvas([...places.map((pl, k) => ({ input: people[k]!, ...pl })), { input: b!, left: 40 + 12 * i, top: 390 }])),
    );
    const { calls } = await embedLog(frames, 4);
    const isStill = (bx: { y: number }) => bx.y < 350;
    const placeOf = (bx: { x: number; y: number }) => `${Math.round(bx.x / 300)},${Math.round(bx.y / 170)}`;
    console.log(`[59] embeddings per frame (still / moving): ${calls.map((cl) => `${cl.frame}:${cl.boxes.filter(isStill).length}/${cl.boxes.filter((bx) => !isStill(bx)).length}`).join(' ')}`);
    expect(calls[0]!.frame).toBe(0);
    expect(calls[0]!.boxes).toHaveLength(4);
    for (const cl of calls.slice(1)) expect(cl.boxes.filter(isStill).length).toBeLessThanOrEqual(1);
    const walkerFirst = calls.find((cl) => cl.boxes.some((bx) => !isStill(bx)));
    expect(walkerFirst!.frame).toBeLessThanOrEqual(1);
    const seen = new Set<string>();
    for (const cl of calls) if (cl.frame <= 6) for (const bx of cl.boxes.filter(isStill)) seen.add(placeOf(bx));
    expect(seen.size).toBe(6); // none starves: 4 at most at frame 0 (with the walker), then one a frame
  });

  it('gives a still face its first embedding after STILL_WAIT_FRAMES even while new faces keep arriving', async () => {
    // One embedding a frame. A small still face S from frame 0; every frame a larger new face, alternately far
    // left and far right (each a new track: the last one ended unmatched), which wins frame 0 (the better
    // face) and then ranks before S, known still from frame 1. S waits until it has waited 50 frames.
    const [s0, n0] = await faceImages(2, 110);
    const small = await (await import('sharp')).default(s0!).resize(80, 80).blur(1.5).toBuffer(); // a worse face than the new ones
    const frames = await Promise.all(
      Array.from({ length: 58 }, (_, i) => canvas([{ input: small, left: 440, top: 30 }, { input: n0!, left: i === 0 ? 420 : i % 2 ? 800 : 20, top: 380 }])),
    );
    const { calls } = await embedLog(frames, 1);
    const firstS = calls.find((cl) => cl.boxes.some((bx) => bx.y < 200));
    console.log(`[59] still face first embedded at frame ${firstS?.frame}; ${calls.length} embed calls`);
    expect(calls.length).toBeGreaterThanOrEqual(50); // a new face every frame
    expect(firstS).toBeDefined();
    expect(firstS!.frame).toBe(50); // STILL_WAIT_FRAMES after its first frame, not before
  });

  it('runs a separate landmark stage only on the faces chosen for embedding', async () => {
    const { Detector } = await import('../dist/index.js');
    const { loadLandmarkStage } = await import('../dist/detectors/landmark-stage.js');
    const boxOnly = await Detector.load({ model: 'fr-detect', landmarkStage: 'none' });
    const stage = await loadLandmarkStage('mtcnn-onet');
    let refinedFaces = 0;
    const counted = { name: stage.name, refine: (fr: never, faces: readonly never[]) => ((refinedFaces += faces.length), stage.refine(fr, faces)), close: async () => {} };
    let embedded = 0;
    let withoutLandmarks = 0;
    const watched = new Proxy(embedder, {
      get(target, key, receiver) {
        if (key === 'embed') {
          return (frame: Parameters<Embedder['embed']>[0], faces: Parameters<Embedder['embed']>[1]) => {
            embedded += faces.length;
            withoutLandmarks += faces.filter((f) => f.landmarks?.length !== 5).length;
            return target.embed(frame, faces);
          };
        }
        const v = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    try {
      const pipeline = await createPipeline({ detector: boxOnly, embedder: watched, landmarks: counted as never, watchlist, realtime: false });
      const alerts: Alert[] = [];
      pipeline.on('alert', (x: Alert) => alerts.push(x));
      pipeline.addStream('cam', video.file);
      await pipeline.ended();
      const st = pipeline.status('cam');
      await pipeline.close();
      console.log(`[59] landmark stage on ${refinedFaces} of ${st.faces} faces seen, ${embedded} embedded; alerts ${alerts.map((x) => x.watchlistId).join(', ')}`);
      expect(st.detected).toBe(video.frames);
      expect(embedded).toBe(st.embeddings);
      expect(embedded).toBeGreaterThan(0);
      // Every embedded face had the stage's landmarks; the stage saw the chosen faces only.
      expect(withoutLandmarks).toBe(0);
      expect(refinedFaces).toBeGreaterThanOrEqual(embedded);
      expect(refinedFaces).toBeLessThan(st.faces / 4);
      for (const a of alerts) expect(walkerOf(a, video)?.id).toBe(a.watchlistId);
      await expect(createPipeline({ detector: boxOnly, embedder, watchlist, landmarks: 42 as never })).rejects.toThrow(/options\.landmarks/);
    } finally {
      await boxOnly.close();
      await stage.close();
    }
  });

  it('shares detection fairly between streams that all have a frame waiting', async () => {
    let tokens = 0;
    let wake: (() => void) | null = null;
    let finished = 0;
    let progress: (() => void) | null = null;
    const order: string[] = [];
    const gated = {
      detect: async (frame: Parameters<Detector['detect']>[0], o?: Parameters<Detector['detect']>[1]) => {
        order.push(frame.data[0] === 1 ? 'a' : frame.data[0] === 2 ? 'b' : 'c');
        while (tokens === 0) await new Promise<void>((r) => (wake = r));
        tokens--;
        try {
          return await detector.detect(frame, o);
        } finally {
          finished++;
          progress?.();
        }
      },
      close: async () => {},
    } as unknown as Detector;
    const pipeline = await createPipeline({ detector: gated, embedder, watchlist });
    const ids = ['a', 'b', 'c'];
    for (const id of ids) pipeline.addStream(id, { push: true });
    // Flat gray frames marked by their first byte (no faces): which stream each detection served.
    const W = 320;
    const H = 240;
    const frameOf = (mark: number) => {
      const data = Buffer.alloc((W * H * 3) / 2, 128);
      data[0] = mark;
      return { data, width: W, height: H, format: 'nv12' as const };
    };
    for (let round = 0; round < 30; round++) {
      ids.forEach((id, k) => pipeline.push(id, frameOf(k + 1), round * 40));
      const target = finished + 1;
      tokens++;
      wake?.();
      await new Promise<void>((r) => {
        progress = () => finished >= target && r();
        if (finished >= target) r();
      });
      progress = null;
    }
    tokens = 1e9;
    wake?.();
    while (pipeline.status().some((st) => st.processed + st.dropped < 30)) await new Promise((r) => setTimeout(r, 10));
    const st = Object.fromEntries(pipeline.status().map((x) => [x.id, x]));
    await pipeline.close();
    const served = ids.map((id) => order.filter((x) => x === id).length);
    console.log(`[59] detections per stream ${JSON.stringify(served)}; order ${order.join('')}`);
    // Least recently served first: the streams take turns.
    expect(Math.max(...served) - Math.min(...served)).toBeLessThanOrEqual(1);
    for (let i = 0; i + 3 <= order.length; i += 3) expect(new Set(order.slice(i, i + 3)).size, `turn ${i / 3}: ${order.slice(i, i + 3).join('')}`).toBe(3);
    for (const id of ids) {
      expect(st[id]!.frames).toBe(30);
      expect(st[id]!.detected + st[id]!.tracked).toBe(30);
    }
  });
});

describe.skipIf(canRun)('pipeline cadence: detection on the newest frame, tracking on every frame', () => {
  it.skip(SKIP_PIPELINE, () => {});
});
