import { registerMenu } from '../bot/menu.js';
import { repoPath, type RouteList, type Router, type Routes } from '../bot/router.js';
import type { Job } from '../scheduler/job.js';
import type { FeatureDeps, Provided } from './deps.js';

/**
 * One shape for every feature: a name, the file it lives in, what it needs
 * from other features and what it provides to them, and a build function of
 * the app's ports (plus what it needs) that returns its routes, its jobs and
 * what it provides. `src/app.ts` lists the features; `assemble` does the rest.
 */

/** What a feature is made of once built. */
export interface FeatureParts {
  /** Registers its commands, card actions and direct-message types. */
  register?(routes: Routes): void;
  jobs?: Job[];
  /**
   * What it takes ahead once the jobs have run (after the start-up catch-up,
   * after a scheduled run that queued messages): reads that a cache keyed on the data's version
   * keeps, so a user's first ask finds them instead of waiting for them.
   */
  warm?(): Promise<void>;
}

type Gives<G extends keyof Provided> = [G] extends [never] ? { provides?: undefined } : { provides: Pick<Provided, G> };

export interface FeatureDefinition<N extends keyof Provided = never, G extends keyof Provided = never> {
  name: string;
  /** The feature's file, relative to the repository (src/features/ledger/index.ts), where `zoufang routes` points. */
  file: string;
  needs: readonly N[];
  provides: readonly G[];
  build(deps: FeatureDeps & Pick<Provided, N>): FeatureParts & Gives<G>;
}

/** Any feature, as the list in src/app.ts holds them. */
export interface AnyFeature {
  name: string;
  file: string;
  needs: readonly (keyof Provided)[];
  provides: readonly (keyof Provided)[];
  build(deps: FeatureDeps & Provided): FeatureParts & { provides?: Partial<Provided> };
}

/**
 * Declares a feature. `at` is the declaring module's `import.meta.url`. What
 * `needs` names arrives in `deps`, typed and never absent; what `provides`
 * names the build must return, or the feature does not type-check.
 */
export function defineFeature<const N extends keyof Provided = never, const G extends keyof Provided = never>(
  meta: { name: string; at: string; needs?: readonly N[]; provides?: readonly G[] },
  build: (deps: FeatureDeps & Pick<Provided, N>) => FeatureParts & Gives<G>,
): FeatureDefinition<N, G> {
  return { name: meta.name, file: repoPath(meta.at), needs: meta.needs ?? [], provides: meta.provides ?? [], build };
}

/** A feature once built, its jobs marked with its file. */
export interface BuiltFeature {
  name: string;
  file: string;
  register?(routes: Routes): void;
  jobs: Job[];
  warm?(): Promise<void>;
}

/** Every route and job of the bot, each with the file that registered it: `zoufang routes` and the simulator's routes page. */
export interface RouteListing extends RouteList {
  jobs: Array<{ name: string; description: string; source: string }>;
}

/**
 * Builds every feature, each after those that provide what it needs (so the
 * list's order is the order of /帮助, never a wiring order), and fails at start
 * when a need has no provider, two features provide one thing, or a feature
 * does not provide what it declared.
 */
export function assemble(features: readonly AnyFeature[], deps: FeatureDeps) {
  const providers = new Map<keyof Provided, string>();
  for (const f of features)
    for (const key of f.provides) {
      const other = providers.get(key);
      if (other) throw new Error(`${f.name} 与 ${other} 都提供 ${key} / two features provide ${key}`);
      providers.set(key, f.name);
    }
  for (const f of features)
    for (const key of f.needs)
      if (!providers.has(key)) throw new Error(`功能 ${f.name} 需要 ${key}，但没有功能提供 / feature ${f.name} needs ${key}, which no feature provides`);

  const given: Partial<Provided> = {};
  const built = new Map<AnyFeature, BuiltFeature>();
  while (built.size < features.length) {
    const ready = features.find((f) => !built.has(f) && f.needs.every((key) => key in given));
    if (!ready)
      throw new Error(
        `功能之间循环依赖 / features need each other in a circle: ${features
          .filter((f) => !built.has(f))
          .map((f) => f.name)
          .join(', ')}`,
      );
    const parts = ready.build({ ...deps, ...given } as FeatureDeps & Provided);
    for (const key of ready.provides) {
      const value = parts.provides?.[key];
      if (value === undefined) throw new Error(`功能 ${ready.name} 声明提供 ${key} 却没有提供 / feature ${ready.name} did not provide ${key}`);
      Object.assign(given, { [key]: value });
    }
    built.set(ready, { name: ready.name, file: ready.file, register: parts.register, jobs: parts.jobs ?? [], warm: parts.warm });
  }
  const list = features.map((f) => built.get(f)!);
  return {
    features: list,
    jobs: list.flatMap((f) => f.jobs),
    /** Every feature's warm, one after another. */
    async warm(): Promise<void> {
      for (const f of list) await f.warm?.();
    },
    /** Registers every feature's routes, each under its own file, in the list's order; then the bot menu, which runs their commands. */
    register(router: Router): void {
      for (const f of list) f.register?.(router.routes(f.file));
      registerMenu(router);
    },
    /** The router's routes (registered through `register`) and every feature's jobs. */
    listing(router: Router): RouteListing {
      return { ...router.list(), jobs: list.flatMap((f) => f.jobs.map((j) => ({ name: j.name, description: j.description, source: f.file }))) };
    },
  };
}

/** The listing as lines of text, one route each: its kind, its name (the command's aliases), admin-only or not, and its file. */
export function routeLines(l: RouteListing): string[] {
  const rows: string[][] = [
    ...l.commands.map((c) => ['command', c.names.join(' '), c.adminOnly ? 'admin' : '', c.source]),
    ...l.actions.map((a) => ['action', a.name, a.adminOnly ? 'admin' : '', a.source]),
    ...l.menus.map((m) => ['menu', `${m.key} → ${m.command}`, '', m.source]),
    ...l.directMessages.map((d) => ['message', d.type, '', d.source]),
    ...l.jobs.map((j) => ['job', j.name, '', j.source]),
  ];
  return rows.map((r) => r.join('\t'));
}
