"""Regenerate the reference server's content assets (run by hand; not a runtime dependency).

    .venv/bin/python tools/make_assets.py

Writes into ``contracts/mock/assets/``:
- ``video.mp4``: a genuine H.264 MP4 (``ftyp``/``moov``/``mdat`` boxes, ``moov`` first), 1 s of a
  moving gradient at 160x90 and 12 fps, small enough to commit.
- ``thumbnail.webp``: the first frame as WebP.
- ``spritesheet.jpg``: every third frame, tiled in a grid, as JPEG.

Needs PyAV (``pip install av``) and Pillow. The server only reads the files.
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


def write_spritesheet(frames: list[Image.Image], path: Path, columns: int = 2) -> None:
    tiles = frames[::3]
    rows = (len(tiles) + columns - 1) // columns
    sheet = Image.new("RGB", (WIDTH * columns, HEIGHT * rows))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % columns) * WIDTH, (i // columns) * HEIGHT))
    sheet.save(path, format="JPEG", quality=70)


def main() -> None:
    frames = [frame(i) for i in range(FRAMES)]
    write_video(frames, ASSETS / "video.mp4")
    frames[0].save(ASSETS / "thumbnail.webp", format="WEBP", quality=70)
    write_spritesheet(frames, ASSETS / "spritesheet.jpg")
    for name in ("video.mp4", "thumbnail.webp", "spritesheet.jpg"):
        print(f"{name}: {(ASSETS / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
