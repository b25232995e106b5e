"""The exit post's sounds, one per kind of verdict, so a guard knows without looking: a
rising two-tone for signed out, a double beep for "signed out, will reconcile", a low buzz for
refused. Made once as small WAV files in the data directory (no audio assets to ship)."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 16_000
TONES = {  # (frequency Hz, seconds) in order; 0 Hz is silence
    "ok": [(880, 0.12), (1320, 0.18)],
    "amber": [(660, 0.12), (0, 0.06), (660, 0.12)],
    "refused": [(220, 0.6)],
}


def write_tone(path: Path, parts: list[tuple[int, float]]) -> None:
    frames = bytearray()
    for frequency, seconds in parts:
        count = int(RATE * seconds)
        for n in range(count):
            fade = min(1.0, n / 160, (count - n) / 160)  # no clicks at the edges
            sample = math.sin(2 * math.pi * frequency * n / RATE) * 0.5 * fade if frequency else 0.0
            frames += struct.pack("<h", int(sample * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))


class Sounds:
    def __init__(self, folder: Path):
        self.folder = folder
        self._loaded: dict[str, object] = {}
        self.last = ""  # the last sound asked for, whether or not a speaker played it

    def play(self, name: str) -> None:
        self.last = name
        sound = self._load(name)
        if sound is not None:
            sound.stop()
            sound.play()

    def _load(self, name: str):
        if name not in self._loaded:
            from kivy.core.audio import SoundLoader

            path = self.folder / f"{name}.wav"
            if not path.is_file():
                self.folder.mkdir(parents=True, exist_ok=True)
                write_tone(path, TONES[name])
            # None when the machine has no audio output: the screen still tells the verdict.
            self._loaded[name] = SoundLoader.load(str(path))
        return self._loaded[name]
