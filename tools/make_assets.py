"""Regenerate the sample video shipped with the package (run by hand; not a runtime dependency).

    .venv/bin/python tools/make_assets.py

Writes ``contracts/mock/assets/video.mp4``: a genuine H.264 MP4 (``ftyp``/``moov``/``mdat`` boxes,
``moov`` first), 1 s of a moving gradient at 160x90 and 12 fps, small enough to commit. The suite
uploads it as the source of edits and extensions, and the tests as a real video made by FFmpeg. (The
server's own content is made at run time to match each Video: ``contracts/mock/mp4.py``.)

Needs PyAV (``pip install av``) and Pillow.
"""

from __future__ import annotations

from pathlib import Path

import av
from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parent.parent / "contracts" / "mock" / "assets"  # where the server reads them
WIDTH, HEIGHT, FPS, FRAMES = 160, 90, 12, 12


def frame(index: int) -> Image.Image:
    """A gradient whose hue shifts with the frame, with a bar that slides across."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    pixels = image.load()
    for y in range(HEIGHT):
        for x in range(WIDTH):
            pixels[x, y] = ((x * 255 // WIDTH + index * 20) % 256, y * 255 // HEIGHT, 128)
    draw = ImageDraw.Draw(image)
    left = index * (WIDTH - 20) // max(FRAMES - 1, 1)
    draw.rectangle([left, HEIGHT // 3, left + 20, 2 * HEIGHT // 3], fill=(255, 255, 255))
    return image


def write_video(frames: list[Image.Image], path: Path) -> None:
    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "32", "preset": "veryslow", "tune": "stillimage"}
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def main() -> None:
    frames = [frame(i) for i in range(FRAMES)]
    write_video(frames, ASSETS / "video.mp4")
    print(f"video.mp4: {(ASSETS / 'video.mp4').stat().st_size} bytes")


if __name__ == "__main__":
    main()
