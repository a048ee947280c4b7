#include "services/binding/render/qr_render.h"

#include <qrencode.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/status/field_errors.h"
#include "services/common/status/status_macros.h"

namespace aggpay::binding {
namespace {

constexpr uint32_t kMaxRgb = 0xFFFFFF;

// The QR symbol without its quiet zone: width x width modules, row by row, true for dark.
struct Symbol {
  int width = 0;
  std::vector<bool> dark;

  [[nodiscard]] bool Dark(int x, int y) const { return dark[static_cast<size_t>(y) * width + x]; }
};

absl::StatusOr<Symbol> Encode(absl::string_view content, bool logo_area) {
  // QRcode_encodeData rather than the string variants: it takes a length, so content holding a
  // NUL byte is encoded whole instead of cut short.
  errno = 0;
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeData(static_cast<int>(content.size()),
                        reinterpret_cast<const unsigned char*>(content.data()), /*version=*/0,
                        logo_area ? QR_ECLEVEL_H : QR_ECLEVEL_M),
      &QRcode_free);
  if (code == nullptr) {
    if (errno == ERANGE) return common::InvalidField("content", "is too long for a QR code");
    return absl::InternalError(absl::StrCat("QR encoding failed (errno ", errno, ")"));
  }
  Symbol s;
  s.width = code->width;
  s.dark.resize(static_cast<size_t>(s.width) * s.width);
  for (size_t i = 0; i < s.dark.size(); ++i) s.dark[i] = (code->data[i] & 1) != 0;
  if (logo_area) {
    // An odd side in an odd-width symbol: the blank square sits exactly in the middle. A fifth of
    // the width stays clear of the finder patterns and timing lines at every version.
    int side = (s.width + 4) / 5;
    if (side % 2 == 0) ++side;
    const int start = (s.width - side) / 2;
    for (int y = start; y < start + side; ++y) {
      for (int x = start; x < start + side; ++x) {
        s.dark[static_cast<size_t>(y) * s.width + x] = false;
      }
    }
  }
  return s;
}

// ---- Colours
// -------------------------------------------------------------------------------------

double Channel(uint32_t value) {
  const double c = static_cast<double>(value) / 255.0;
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}

double RelativeLuminance(uint32_t rgb) {
  return 0.2126 * Channel((rgb >> 16) & 0xFF) + 0.7152 * Channel((rgb >> 8) & 0xFF) +
         0.0722 * Channel(rgb & 0xFF);
}

bool IsGrey(uint32_t rgb) {
  return ((rgb >> 16) & 0xFF) == (rgb & 0xFF) && ((rgb >> 8) & 0xFF) == (rgb & 0xFF);
}

std::string HexColour(uint32_t rgb) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "#";
  for (int shift = 20; shift >= 0; shift -= 4) out += kDigits[(rgb >> shift) & 0xF];
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ---- Validation
// ----------------------------------------------------------------------------------

// Counts the code points of a caption, or fails on anything an SVG text element should not hold.
absl::StatusOr<size_t> CaptionChars(absl::string_view caption) {
  const auto bad = [] {
    return common::InvalidField("skin.caption", "must be UTF-8 text without control characters");
  };
  size_t chars = 0;
  for (size_t i = 0; i < caption.size(); ++chars) {
    const auto lead = static_cast<unsigned char>(caption[i]);
    int extra = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (lead < 0x80) {
      cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1, cp = lead & 0x1F, min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2, cp = lead & 0x0F, min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3, cp = lead & 0x07, min = 0x10000;
    } else {
      return bad();
    }
    if (caption.size() - i - 1 < static_cast<size_t>(extra)) return bad();
    for (int k = 1; k <= extra; ++k) {
      const auto cont = static_cast<unsigned char>(caption[i + k]);
      if ((cont & 0xC0) != 0x80) return bad();
      cp = (cp << 6) | (cont & 0x3F);
    }
    i += 1 + extra;
    const bool overlong = cp < min;
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    const bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
    // U+FFFE and U+FFFF are not XML characters.
    if (overlong || surrogate || control || cp > 0x10FFFF || cp == 0xFFFE || cp == 0xFFFF) {
      return bad();
    }
  }
  return chars;
}

absl::Status ValidateSkin(const Skin& skin) {
  if (skin.foreground_rgb > kMaxRgb) {
    return common::InvalidField("skin.foreground_rgb", "must be a colour 0xRRGGBB");
  }
  if (skin.background_rgb > kMaxRgb) {
    return common::InvalidField("skin.background_rgb", "must be a colour 0xRRGGBB");
  }
  if (RelativeLuminance(skin.foreground_rgb) >= RelativeLuminance(skin.background_rgb)) {
    return common::InvalidField("skin.foreground_rgb",
                                "must be darker than the background: many phones cannot scan a "
                                "light-on-dark code");
  }
  const double ratio = ContrastRatio(skin.foreground_rgb, skin.background_rgb);
  if (ratio < kMinContrastRatio) {
    const int tenths = static_cast<int>(ratio * 10);
    return common::InvalidField(
        "skin.foreground_rgb",
        absl::StrCat("contrasts too little with the background for phones to scan the code (",
                     tenths / 10, ".", tenths % 10, ":1; at least 3:1 is needed)"));
  }
  if (skin.caption.size() > kMaxCaptionBytes) {
    return common::InvalidField("skin.caption",
                                absl::StrCat("must be at most ", kMaxCaptionBytes, " bytes"));
  }
  ASSIGN_OR_RETURN(const size_t chars, CaptionChars(skin.caption));
  if (chars > kMaxCaptionChars) {
    return common::InvalidField("skin.caption",
                                absl::StrCat("must be at most ", kMaxCaptionChars, " characters"));
  }
  return absl::OkStatus();
}

// ---- PNG
// -----------------------------------------------------------------------------------------

void PutU32(std::string& out, uint32_t v) {
  out += static_cast<char>((v >> 24) & 0xFF);
  out += static_cast<char>((v >> 16) & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
  out += static_cast<char>(v & 0xFF);
}

void PutChunk(std::string& out, const char (&type)[5], absl::string_view data) {
  PutU32(out, static_cast<uint32_t>(data.size()));
  const size_t start = out.size();
  out.append(type, 4);
  out.append(data.data(), data.size());
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(out.data() + start),
              static_cast<uInt>(out.size() - start));
  PutU32(out, static_cast<uint32_t>(crc));
}

absl::StatusOr<std::string> WritePng(const Symbol& symbol, int scale, uint32_t fg, uint32_t bg) {
  const int modules = symbol.width + 2 * kQuietZoneModules;
  const auto pixels = static_cast<uint32_t>(modules * scale);
  const bool grey = IsGrey(fg) && IsGrey(bg);
  const size_t channels = grey ? 1 : 3;

  const auto put_pixel = [&](std::string& row, uint32_t rgb) {
    if (grey) {
      row += static_cast<char>(rgb & 0xFF);
    } else {
      row += static_cast<char>((rgb >> 16) & 0xFF);
      row += static_cast<char>((rgb >> 8) & 0xFF);
      row += static_cast<char>(rgb & 0xFF);
    }
  };
  const size_t row_bytes = 1 + pixels * channels;  // filter type byte, then the pixels
  std::string raw;
  raw.reserve(row_bytes * pixels);
  std::string row;
  for (int my = 0; my < modules; ++my) {
    row.clear();
    row += '\0';  // filter type 0 (None)
    for (int mx = 0; mx < modules; ++mx) {
      const int sx = mx - kQuietZoneModules;
      const int sy = my - kQuietZoneModules;
      const bool dark =
          sx >= 0 && sy >= 0 && sx < symbol.width && sy < symbol.width && symbol.Dark(sx, sy);
      for (int k = 0; k < scale; ++k) put_pixel(row, dark ? fg : bg);
    }
    for (int k = 0; k < scale; ++k) raw += row;
  }

  uLongf compressed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string compressed(compressed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(compressed.data()), &compressed_size,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                Z_BEST_COMPRESSION) != Z_OK) {
    return absl::InternalError("zlib compression of the PNG image data failed");
  }
  compressed.resize(compressed_size);

  std::string ihdr;
  PutU32(ihdr, pixels);
  PutU32(ihdr, pixels);
  ihdr += static_cast<char>(8);             // bit depth
  ihdr += static_cast<char>(grey ? 0 : 2);  // colour type: greyscale or RGB
  ihdr += '\0';                             // compression: deflate
  ihdr += '\0';                             // filter method 0
  ihdr += '\0';                             // no interlace

  std::string png("\x89PNG\r\n\x1a\n", 8);
  PutChunk(png, "IHDR", ihdr);
  PutChunk(png, "IDAT", compressed);
  PutChunk(png, "IEND", "");
  return png;
}

// ---- SVG
// -----------------------------------------------------------------------------------------

std::string EscapeXml(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Half of a non-negative integer as a decimal: 287 -> "143.5".
std::string Half(int value) {
  return value % 2 == 0 ? absl::StrCat(value / 2) : absl::StrCat(value / 2, ".5");
}

// The caption's width in tenths of an em, estimated without fonts: ASCII about 0.6 em, anything
// else (CJK above all) up to a full em.
int CaptionEmTenths(absl::string_view caption) {
  int tenths = 0;
  for (char c : caption) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      tenths += 6;
    } else if ((byte & 0xC0) != 0x80) {
      tenths += 10;  // the lead byte of a multi-byte character
    }
  }
  return tenths;
}

std::string WriteSvg(const Symbol& symbol, int scale, uint32_t fg, uint32_t bg,
                     absl::string_view caption) {
  // User units are the output pixels, not modules: renderers that rasterise at the viewBox's
  // resolution (ImageMagick among them) blur a module-unit drawing past decoding.
  const int side = (symbol.width + 2 * kQuietZoneModules) * scale;
  int font_px = 0;
  int band_px = 0;  // added below the quiet zone for the caption
  if (!caption.empty()) {
    // A tenth of the width, smaller when that would not fit the caption in 90% of the width.
    font_px = std::max(1, std::min(side / 10, 9 * side / CaptionEmTenths(caption)));
    band_px = (font_px * 3 + 1) / 2;
  }
  const int height = side + band_px;

  std::string d;
  for (int y = 0; y < symbol.width; ++y) {
    for (int x = 0; x < symbol.width;) {
      if (!symbol.Dark(x, y)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < symbol.width && symbol.Dark(x + run, y)) ++run;
      absl::StrAppend(&d, "M", (x + kQuietZoneModules) * scale, " ",
                      (y + kQuietZoneModules) * scale, "h", run * scale, "v", scale, "h-",
                      run * scale, "z");
      x += run;
    }
  }

  std::string svg = absl::StrCat(
      R"(<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width=")", side, R"(" height=")",
      height, R"(" viewBox="0 0 )", side, " ", height, R"(" shape-rendering="crispEdges">)", "\n",
      R"(<rect width=")", side, R"(" height=")", height, R"(" fill=")", HexColour(bg), R"("/>)",
      "\n", R"(<path fill=")", HexColour(fg), R"(" d=")", d, R"("/>)", "\n");
  if (!caption.empty()) {
    // The quiet zone separates the caption from the code: the band starts right below it.
    absl::StrAppend(&svg, R"(<text x=")", Half(side), R"(" y=")", side + font_px,
                    R"(" font-family="sans-serif" font-size=")", font_px,
                    R"(" text-anchor="middle" fill=")", HexColour(fg), R"(">)", EscapeXml(caption),
                    "</text>\n");
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace

absl::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kSvg:
      return "svg";
  }
  return "png";
}

absl::StatusOr<ImageFormat> ParseImageFormat(absl::string_view name, absl::string_view field) {
  for (ImageFormat format : kAllImageFormats) {
    if (name == ImageFormatName(format)) return format;
  }
  return common::InvalidField(field, "must be png or svg");
}

absl::string_view MimeType(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "image/png";
    case ImageFormat::kSvg:
      return "image/svg+xml";
  }
  return "application/octet-stream";
}

double ContrastRatio(uint32_t rgb_a, uint32_t rgb_b) {
  const double a = RelativeLuminance(rgb_a);
  const double b = RelativeLuminance(rgb_b);
  return (std::max(a, b) + 0.05) / (std::min(a, b) + 0.05);
}

absl::StatusOr<uint32_t> ParseRgb(absl::string_view hex, absl::string_view field) {
  if (!hex.empty() && hex.front() == '#') hex.remove_prefix(1);
  if (hex.size() != 6) return common::InvalidField(field, "must be a colour #RRGGBB");
  uint32_t rgb = 0;
  for (char c : hex) {
    const int v = HexValue(c);
    if (v < 0) return common::InvalidField(field, "must be a colour #RRGGBB");
    rgb = (rgb << 4) | static_cast<uint32_t>(v);
  }
  return rgb;
}

absl::StatusOr<std::string> RenderQr(absl::string_view content, const RenderOptions& options) {
  if (content.empty() || content.size() > kMaxQrContentBytes) {
    return common::InvalidField("content",
                                absl::StrCat("must be 1 to ", kMaxQrContentBytes, " bytes"));
  }
  if (std::find(kPrintSizesPx.begin(), kPrintSizesPx.end(), options.size_px) ==
      kPrintSizesPx.end()) {
    return common::InvalidField(
        "size_px", absl::StrCat("must be one of ", absl::StrJoin(kPrintSizesPx, ", ")));
  }
  const Skin skin = options.skin.value_or(Skin{});
  RETURN_IF_ERROR(ValidateSkin(skin));

  ASSIGN_OR_RETURN(const Symbol symbol, Encode(content, skin.logo_area));
  const int scale = options.size_px / (symbol.width + 2 * kQuietZoneModules);
  if (scale < kMinModulePx) {
    return common::InvalidField(
        "size_px", absl::StrCat("is too small for this much content: modules would be under ",
                                kMinModulePx, " pixels; choose a larger print size"));
  }

  switch (options.format) {
    case ImageFormat::kPng:
      return WritePng(symbol, scale, skin.foreground_rgb, skin.background_rgb);
    case ImageFormat::kSvg:
      return WriteSvg(symbol, scale, skin.foreground_rgb, skin.background_rgb, skin.caption);
  }
  return absl::InvalidArgumentError("format: unknown image format");
}

}  // namespace aggpay::binding
