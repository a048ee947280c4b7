#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aggpay::binding {

// A code "skin": the template a code image is rendered with, for terminals whose client version
// can show one.
struct Skin {
  // Shown centred below the code, in SVG only: no fonts are available to the PNG writer, so a PNG
  // ignores the caption. At most kMaxCaptionChars characters and kMaxCaptionBytes bytes of
  // UTF-8, without control characters.
  std::string caption;
  uint32_t foreground_rgb = 0x000000;  // 0xRRGGBB, the dark modules
  uint32_t background_rgb = 0xFFFFFF;  // 0xRRGGBB, the light modules, quiet zone and caption band
  // Leave a blank square in the centre (a fifth of the symbol's width on each side, about 4% of
  // its modules) for a logo printed over it. The code is then encoded at error correction level
  // H, which recovers far more damage than the blank square causes.
  bool logo_area = false;
};

inline constexpr size_t kMaxCaptionChars = 40;
inline constexpr size_t kMaxCaptionBytes = 160;

enum class ImageFormat : uint8_t { kPng, kSvg };
inline constexpr std::array<ImageFormat, 2> kAllImageFormats = {ImageFormat::kPng,
                                                                ImageFormat::kSvg};

// "png", "svg".
absl::string_view ImageFormatName(ImageFormat format);
// Exactly one of the names above, else INVALID_ARGUMENT naming `field`.
absl::StatusOr<ImageFormat> ParseImageFormat(absl::string_view name,
                                             absl::string_view field = "format");
// "image/png", "image/svg+xml".
absl::string_view MimeType(ImageFormat format);

// Print sizes: the width, in pixels, an image may take at most.
inline constexpr std::array<int, 4> kPrintSizesPx = {300, 600, 1200, 2400};

struct RenderOptions {
  ImageFormat format = ImageFormat::kPng;
  int size_px = 600;  // one of kPrintSizesPx
  std::optional<Skin> skin;
};

inline constexpr size_t kMaxQrContentBytes = 1024;
inline constexpr int kQuietZoneModules = 4;
// Smaller modules do not scan reliably once printed (zbar already fails on some at 1 pixel).
inline constexpr int kMinModulePx = 2;

// Renders `content` (1..kMaxQrContentBytes bytes, encoded as 8-bit bytes, so any binary string
// works) as a QR code and returns the image file's bytes.
//
// The code uses error correction level M, or H with a logo area. Each module is a square of
// `scale` pixels, with `scale` the largest integer for which the symbol plus a 4-module quiet
// zone on every side fits in size_px: the image is (width + 8) * scale pixels wide, at most
// size_px and usually a little less. The output is deterministic: the same input gives the same
// bytes.
//
// PNG: 8-bit grayscale when both colours are neutral greys (always so without a skin), 8-bit
// RGB otherwise; no caption (see Skin::caption). SVG: a standalone document, `width`/`height`
// and user units in pixels as for the PNG; with a caption, a band below the code that holds it, so
// the SVG is then taller than wide.
//
// INVALID_ARGUMENT naming:
//   "content"             empty, or over kMaxQrContentBytes bytes
//   "size_px"             not one of kPrintSizesPx, or too small for the content: modules of
//                         under kMinModulePx pixels (only a logo area with over 790 bytes at 300)
//   "skin.foreground_rgb" / "skin.background_rgb"   above 0xFFFFFF
//   "skin.foreground_rgb" not clearly darker than the background: a WCAG contrast ratio under
//                         kMinContrastRatio, or light on dark. Many phone scanners read neither.
//   "skin.caption"        too long, not UTF-8, or holding control characters (in either format:
//                         a skin is valid or not whatever it is rendered to)
absl::StatusOr<std::string> RenderQr(absl::string_view content, const RenderOptions& options);

inline constexpr double kMinContrastRatio = 3.0;

// WCAG 2 contrast ratio, (L_lighter + 0.05) / (L_darker + 0.05), of two 0xRRGGBB colours: 1 for
// equal colours, 21 for black on white.
double ContrastRatio(uint32_t rgb_a, uint32_t rgb_b);

// "#RRGGBB" or "RRGGBB", hex digits in either case, to 0xRRGGBB. Anything else (including
// "#RGB" and surrounding spaces) is INVALID_ARGUMENT naming `field`.
absl::StatusOr<uint32_t> ParseRgb(absl::string_view hex, absl::string_view field);

}  // namespace aggpay::binding
