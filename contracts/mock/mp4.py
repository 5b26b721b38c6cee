"""A real H.264 MP4 of any pixel size and duration, written in pure Python: the mock's video content.

The mock's downloads must match the Video they belong to (``size`` and ``seconds``), for every size
and duration a profile or an extension can produce, so they cannot all be files made in advance; and
an encoder (PyAV bundles FFmpeg: about 100 MB installed) would make every install of the kit heavy
for a file whose picture nobody looks at. What is written here is the smallest stream a decoder
accepts as a genuine video:

- one IDR frame in which every macroblock is ``I_16x16`` with DC prediction and no residual (one
  byte per macroblock: a flat mid-grey picture), then one ``P`` frame per second in which every
  macroblock is skipped (a few bytes each: the picture holds still);
- Constrained Baseline profile, CAVLC, picture order count type 2 (no B-frames), frame cropping
  for sizes that are not a multiple of 16;
- in an MP4 (ISO BMFF) with the movie header first (``ftyp``, ``moov``, ``mdat``): ``avcC`` holds
  the parameter sets, the sample table says each frame's duration, and ``mvhd``/``tkhd``/``mdhd``
  say the whole duration in milliseconds (what ``media.inspect_video`` reads back from an upload).

A 720x1280 clip of 12 s is 4,449 bytes. ``tests/mock/test_mock_content.py`` decodes every documented size
and duration with PyAV.
"""

from __future__ import annotations

import math
import struct

TIMESCALE = 1000  # the movie's and the track's: milliseconds
FRAME_SECONDS = 1.0  # one frame per second: the picture never changes, so more frames say nothing
MAX_DIMENSION = 16384  # pixels; H.264 levels stop at 139,264 macroblocks (level 6)
MAX_SECONDS = 24 * 3600.0

_MB = 16
# Table A-1: (level_idc, the largest frame in macroblocks it allows); decoders mostly ignore it
_LEVELS = ((10, 99), (11, 396), (21, 792), (22, 1620), (31, 3600), (32, 5120), (40, 8192), (42, 8704),
           (50, 22080), (51, 36864), (60, 139264))
_PROFILE_BASELINE = 66
_CONSTRAINED = 0xC0  # constraint_set0_flag and constraint_set1_flag: Constrained Baseline
_LOG2_MAX_FRAME_NUM = 16
# One intra macroblock: mb_type ue(3) = I_16x16, DC prediction, no coded block pattern; then
# intra_chroma_pred_mode ue(0) = DC, mb_qp_delta se(0), and the luma DC block's coeff_token for
# no coefficient with nC 0 ("1"): eight bits.
_INTRA_MB = "00100" + "1" + "1" + "1"


class _Bits:
    """An RBSP written bit by bit (as a string of '0' and '1': fast enough for a few thousand bits)."""

    def __init__(self) -> None:
        self.bits: list[str] = []

    def u(self, width: int, value: int) -> _Bits:
        self.bits.append(format(value, f"0{width}b") if width else "")
        return self

    def ue(self, value: int) -> _Bits:
        """Exp-Golomb: leading zeros, then value + 1 in binary."""
        code = format(value + 1, "b")
        self.bits.append("0" * (len(code) - 1) + code)
        return self

    def se(self, value: int) -> _Bits:
        return self.ue(2 * value - 1 if value > 0 else -2 * value)

    def raw(self, bits: str) -> _Bits:
        self.bits.append(bits)
        return self

    def rbsp(self) -> bytes:
        """The bits with rbsp_trailing_bits (a 1, then zeros to a byte boundary), as bytes."""
        text = "".join(self.bits) + "1"
        text += "0" * (-len(text) % 8)
        return int(text, 2).to_bytes(len(text) // 8, "big")


def _nal(ref_idc: int, kind: int, rbsp: bytes) -> bytes:
    """A NAL unit: its header byte, then the RBSP with emulation prevention (00 00 0x -> 00 00 03 0x)."""
    out = bytearray([(ref_idc << 5) | kind])
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _level(macroblocks: int) -> int:
    return next((level for level, largest in _LEVELS if macroblocks <= largest), _LEVELS[-1][0])


def _sps(width: int, height: int) -> bytes:
    mbs_wide, mbs_high = -(-width // _MB), -(-height // _MB)
    bits = (_Bits().u(8, _PROFILE_BASELINE).u(8, _CONSTRAINED).u(8, _level(mbs_wide * mbs_high))
            .ue(0)                            # seq_parameter_set_id
            .ue(_LOG2_MAX_FRAME_NUM - 4)      # log2_max_frame_num_minus4
            .ue(2)                            # pic_order_cnt_type 2: output order is decoding order
            .ue(1)                            # max_num_ref_frames
            .u(1, 0)                          # gaps_in_frame_num_value_allowed_flag
            .ue(mbs_wide - 1).ue(mbs_high - 1)
            .u(1, 1)                          # frame_mbs_only_flag
            .u(1, 1))                         # direct_8x8_inference_flag
    crop_right, crop_bottom = (mbs_wide * _MB - width) // 2, (mbs_high * _MB - height) // 2  # in 2-pixel units
    if crop_right or crop_bottom:
        bits.u(1, 1).ue(0).ue(crop_right).ue(0).ue(crop_bottom)
    else:
        bits.u(1, 0)
    bits.u(1, 0)                              # vui_parameters_present_flag
    return _nal(3, 7, bits.rbsp())


def _pps() -> bytes:
    bits = (_Bits().ue(0).ue(0)               # pic_parameter_set_id, seq_parameter_set_id
            .u(1, 0).u(1, 0)                  # CAVLC; no bottom_field_pic_order_in_frame_present_flag
            .ue(0)                            # num_slice_groups_minus1
            .ue(0).ue(0)                      # num_ref_idx_l0/l1_default_active_minus1
            .u(1, 0).u(2, 0)                  # no weighted prediction
            .se(0).se(0).se(0)                # pic_init_qp_minus26, pic_init_qs_minus26, chroma_qp_index_offset
            .u(1, 0).u(1, 0).u(1, 0))         # no deblocking control, constrained intra or redundant pictures
    return _nal(3, 8, bits.rbsp())


def _idr(macroblocks: int) -> bytes:
    bits = (_Bits().ue(0).ue(7).ue(0)         # first_mb_in_slice, slice_type I (all slices), pps id
            .u(_LOG2_MAX_FRAME_NUM, 0)        # frame_num
            .ue(0)                            # idr_pic_id
            .u(1, 0).u(1, 0)                  # dec_ref_pic_marking: no_output_of_prior_pics, long_term_reference
            .se(0)                            # slice_qp_delta
            .raw(_INTRA_MB * macroblocks))
    return _nal(3, 5, bits.rbsp())


def _skipped(frame_num: int, macroblocks: int) -> bytes:
    """A P frame (a reference frame: type 2 order counts allow no two non-reference frames in a row)
    whose every macroblock is skipped: the previous picture again."""
    bits = (_Bits().ue(0).ue(5).ue(0)         # first_mb_in_slice, slice_type P (all slices), pps id
            .u(_LOG2_MAX_FRAME_NUM, frame_num % (1 << _LOG2_MAX_FRAME_NUM))
            .u(1, 0)                          # num_ref_idx_active_override_flag
            .u(1, 0)                          # ref_pic_list_modification_flag_l0
            .u(1, 0)                          # adaptive_ref_pic_marking_mode_flag (sliding window)
            .se(0)                            # slice_qp_delta
            .ue(macroblocks))                 # mb_skip_run: all of them
    return _nal(2, 1, bits.rbsp())


def _box(kind: bytes, *parts: bytes) -> bytes:
    payload = b"".join(parts)
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _full_box(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)  # identity


def frame_durations(seconds: float) -> list[int]:
    """Each frame's duration in milliseconds: one frame per second, the last one shorter when the
    duration is not whole (at least one frame)."""
    total = max(1, round(seconds * TIMESCALE))
    step = round(FRAME_SECONDS * TIMESCALE)
    durations = [step] * (total // step)
    if total % step:
        durations.append(total % step)
    return durations


def h264_mp4(width: int, height: int, seconds: float) -> bytes:
    """An MP4 of ``width`` x ``height`` pixels lasting ``seconds`` (both even, both within limits)."""
    if not (2 <= width <= MAX_DIMENSION and 2 <= height <= MAX_DIMENSION) or width % 2 or height % 2:
        raise ValueError(f"cannot encode {width}x{height}: H.264 4:2:0 takes even sizes from 2 to {MAX_DIMENSION}")
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_SECONDS):
        raise ValueError(f"cannot encode {seconds!r} seconds")
    macroblocks = -(-width // _MB) * -(-height // _MB)
    durations = frame_durations(seconds)
    samples = [_idr(macroblocks)] + [_skipped(n, macroblocks) for n in range(1, len(durations))]
    samples = [struct.pack(">I", len(nal)) + nal for nal in samples]  # AVCC: 4-byte lengths
    sps, pps = _sps(width, height), _pps()
    total = sum(durations)

    avcc = _box(b"avcC", bytes([1, _PROFILE_BASELINE, _CONSTRAINED, sps[3], 0xFF, 0xE1]),
                struct.pack(">H", len(sps)), sps, b"\x01", struct.pack(">H", len(pps)), pps)
    avc1 = _box(b"avc1", bytes(6), struct.pack(">H", 1), bytes(16), struct.pack(">HH", width, height),
                struct.pack(">IIIH", 0x480000, 0x480000, 0, 1), bytes(32), struct.pack(">Hh", 0x18, -1), avcc)
    runs: list[list[int]] = []  # stts: (count, delta) runs
    for duration in durations:
        if runs and runs[-1][1] == duration:
            runs[-1][0] += 1
        else:
            runs.append([1, duration])

    def stbl(chunk_offset: int) -> bytes:
        return _box(
            b"stbl",
            _full_box(b"stsd", 0, 0, struct.pack(">I", 1), avc1),
            _full_box(b"stts", 0, 0, struct.pack(">I", len(runs)), b"".join(struct.pack(">II", *r) for r in runs)),
            _full_box(b"stss", 0, 0, struct.pack(">II", 1, 1)),  # the first frame is the only sync sample
            _full_box(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, len(samples), 1)),  # one chunk holds them all
            _full_box(b"stsz", 0, 0, struct.pack(">II", 0, len(samples)), b"".join(struct.pack(">I", len(s))
                                                                                    for s in samples)),
            _full_box(b"stco", 0, 0, struct.pack(">II", 1, chunk_offset)),
        )

    def moov(chunk_offset: int) -> bytes:
        media = _box(
            b"mdia",
            _full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, TIMESCALE, total, 0x55C4, 0)),  # language "und"
            _full_box(b"hdlr", 0, 0, struct.pack(">I4s", 0, b"vide"), bytes(12), b"VideoHandler\0"),
            _box(b"minf", _full_box(b"vmhd", 0, 1, bytes(8)),
                 _box(b"dinf", _full_box(b"dref", 0, 0, struct.pack(">I", 1), _full_box(b"url ", 0, 1))),
                 stbl(chunk_offset)),
        )
        track = _box(b"trak", _full_box(b"tkhd", 0, 3, struct.pack(">IIIII", 0, 0, 1, 0, total), bytes(8),
                                        struct.pack(">hhhH", 0, 0, 0, 0), _MATRIX,
                                        struct.pack(">II", width << 16, height << 16)), media)
        header = _full_box(b"mvhd", 0, 0, struct.pack(">IIIIIH", 0, 0, TIMESCALE, total, 0x10000, 0x100), bytes(10),
                           _MATRIX, bytes(24), struct.pack(">I", 2))
        return _box(b"moov", header, track)

    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2avc1mp41")
    offset = len(ftyp) + len(moov(0)) + 8  # the first sample, just past the mdat header
    return ftyp + moov(offset) + _box(b"mdat", *samples)
