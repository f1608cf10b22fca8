// Where `${{ secrets.NAME }}` in a step's input is read from: the environment file's `secrets`
// references, resolved at the moment a step runs. The engine never stores what it reads.
export interface SecretSource {
  /** The value, or throws (the env var or file behind the reference is missing). */
  read(name: string): string;
  /** `text` with every secret value this process has read replaced by "[redacted]". */
  mask(text: string): string;
}
