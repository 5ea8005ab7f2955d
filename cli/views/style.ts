/** Colour names for views; undefined (no colour) when colours are off (NO_COLOR, dumb terminal). */
export function tint(color: boolean, name: string): string | undefined {
  return color ? name : undefined
}
