import { UsageError } from './errors.js';

/** A typed name → factory map. Registering a name twice is an error, as is asking for an unknown one. */
export class Registry<T> {
  readonly #what: string;
  readonly #factories = new Map<string, () => T>();

  constructor(what: string) {
    this.#what = what;
  }

  register(name: string, factory: () => T): this {
    if (this.#factories.has(name)) throw new Error(`${this.#what} "${name}" is registered twice`);
    this.#factories.set(name, factory);
    return this;
  }

  get(name: string): T {
    const factory = this.#factories.get(name);
    if (!factory) {
      throw new UsageError(`unknown ${this.#what} "${name}" (known: ${this.names().join(', ') || 'none'})`);
    }
    return factory();
  }

  names(): string[] {
    return [...this.#factories.keys()].sort();
  }
}
