/**
 * The new-ticket sound: a short beep made with WebAudio (no sound file to load). Browsers let
 * a page play sound only after a tap on it, so `unlockSound` is called from the first tap.
 */
let context: AudioContext | null = null;

/** Prepares sound from a user gesture (a tap on the page). */
export function unlockSound(): void {
  try {
    context ??= new AudioContext();
    if (context.state === "suspended") context.resume().catch(() => {});
  } catch {
    // No WebAudio: the flash and the announcement remain.
  }
}

/** Two short tones. */
export function beep(): void {
  try {
    context ??= new AudioContext();
    const audio = context;
    if (audio.state === "suspended") audio.resume().catch(() => {});
    const start = audio.currentTime + 0.01;
    for (const [offset, frequency] of [[0, 880], [0.18, 1175]]) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.35, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.15);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.16);
    }
  } catch {
    // No WebAudio here.
  }
}
