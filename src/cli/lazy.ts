// Lazy loading of heavy or ESM-only packages (inquirer: 43-70 ms) at the point of use, never at start-up.
//
// bin/run.js runs the bundle through vm.Script, where a bare import() needs an experimental vm loader (and prints
// an ExperimentalWarning); it therefore hands run() an importer living in a real module, installed here.

type Importer = (specifier: string) => Promise<unknown>;

let importer: Importer = (specifier) => import(specifier);

/** Installs the importer used by lazyImport (entry.run does it with the one bin/run.js passes). */
export function setImporter(fn: Importer): void {
  importer = fn;
}

/** import(specifier), resolved from the package root. */
export function lazyImport<T>(specifier: string): Promise<T> {
  return importer(specifier) as Promise<T>;
}
