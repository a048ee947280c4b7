#include "services/binding/render/qr_render.h"

#include <sys/wait.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "services/common/status/field_errors.h"

namespace aggpay::binding {
namespace {

constexpr absl::string_view kUrl = "https://pay.example.com/c/AbCdEfGhIjKlMnOpQrStUv";
constexpr absl::string_view kPngSignature("\x89PNG\r\n\x1a\n", 8);

// What libqrencode makes of kUrl (48 bytes, 8-bit mode): version 4 (33 modules) at level M,
// version 6 (41 modules) at level H. With the 4-module quiet zone: 41 and 49 modules.
constexpr int kModulesM = 33 + 8;
constexpr int kModulesH = 41 + 8;

void ExpectFieldError(const absl::Status& status, absl::string_view field) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(common::ErrorField(status), field) << status;
}

// ---- A reader for the PNGs RenderQr writes: 8-bit greyscale or RGB, filter type 0 ----------

uint32_t U32(absl::string_view bytes, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
}

struct Png {
  uint32_t width = 0;
  uint32_t height = 0;
  int colour_type = -1;
  size_t channels = 0;
  std::string pixels;  // rows without their filter bytes

  [[nodiscard]] uint32_t Rgb(uint32_t x, uint32_t y) const {
    const size_t at = (static_cast<size_t>(y) * width + x) * channels;
    const auto c = [&](size_t i) {
      return static_cast<uint32_t>(static_cast<unsigned char>(pixels[at + i]));
    };
    return channels == 1 ? (c(0) << 16) | (c(0) << 8) | c(0) : (c(0) << 16) | (c(1) << 8) | c(2);
  }
};

::testing::AssertionResult ReadPng(absl::string_view bytes, Png* png) {
  if (!absl::StartsWith(bytes, kPngSignature))
    return ::testing::AssertionFailure() << "no PNG signature";
  std::vector<std::string> types;
  std::string idat;
  for (size_t at = kPngSignature.size(); at < bytes.size();) {
    if (bytes.size() - at < 12) return ::testing::AssertionFailure() << "truncated chunk";
    const uint32_t length = U32(bytes, at);
    if (bytes.size() - at - 12 < length) return ::testing::AssertionFailure() << "chunk too long";
    const absl::string_view type = bytes.substr(at + 4, 4);
    const absl::string_view data = bytes.substr(at + 8, length);
    const uLong crc = crc32(crc32(0L, Z_NULL, 0),
                            reinterpret_cast<const Bytef*>(bytes.data() + at + 4), length + 4);
    if (crc != U32(bytes, at + 8 + length)) {
      return ::testing::AssertionFailure() << "bad CRC on " << type;
    }
    types.emplace_back(type);
    if (type == "IHDR") {
      if (length != 13) return ::testing::AssertionFailure() << "IHDR length " << length;
      png->width = U32(data, 0);
      png->height = U32(data, 4);
      const auto byte = [&](size_t i) {
        return static_cast<int>(static_cast<unsigned char>(data[i]));
      };
      if (byte(8) != 8) return ::testing::AssertionFailure() << "bit depth " << byte(8);
      png->colour_type = byte(9);
      if (data[10] != 0 || data[11] != 0 || data[12] != 0) {
        return ::testing::AssertionFailure() << "unexpected compression, filter or interlace";
      }
    } else if (type == "IDAT") {
      idat.append(data.data(), data.size());
    }
    at += 12 + length;
  }
  if (types.size() < 3 || types.front() != "IHDR" || types.back() != "IEND") {
    return ::testing::AssertionFailure() << "chunks must run IHDR ... IEND";
  }
  if (png->colour_type != 0 && png->colour_type != 2) {
    return ::testing::AssertionFailure() << "colour type " << png->colour_type;
  }
  png->channels = png->colour_type == 0 ? 1 : 3;
  const size_t row = 1 + png->width * png->channels;
  std::string raw(row * png->height, '\0');
  uLongf raw_size = raw.size();
  if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                 reinterpret_cast<const Bytef*>(idat.data()), idat.size()) != Z_OK ||
      raw_size != raw.size()) {
    return ::testing::AssertionFailure() << "IDAT does not inflate to the image size";
  }
  png->pixels.clear();
  for (uint32_t y = 0; y < png->height; ++y) {
    if (raw[y * row] != 0) return ::testing::AssertionFailure() << "row " << y << " filter";
    png->pixels.append(raw, y * row + 1, row - 1);
  }
  return ::testing::AssertionSuccess();
}

// ---- zbarimg
// -------------------------------------------------------------------------------------

std::string RunCommand(const std::string& command, int* exit_code) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *exit_code = -1;
    return out;
  }
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::optional<std::string> FindTool(const std::string& name) {
  int code = 0;
  std::string path = RunCommand(absl::StrCat("command -v ", name, " 2>/dev/null"), &code);
  while (!path.empty() && path.back() == '\n') path.pop_back();
  if (code != 0 || path.empty()) return std::nullopt;
  return path;
}

std::string WriteTemp(absl::string_view name, absl::string_view bytes) {
  std::string path = absl::StrCat(::testing::TempDir(), "/qr_render_test_", name);
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

struct Scan {
  int exit_code = 0;  // 0 decoded, 4 nothing found, 1 the file could not be read
  std::string text;
};

// zbarimg --raw prints each symbol's data followed by a newline.
Scan Zbar(const std::string& zbarimg, const std::string& path) {
  Scan scan;
  scan.text =
      RunCommand(absl::StrCat(zbarimg, " --raw -q '", path, "' 2>/dev/null"), &scan.exit_code);
  if (!scan.text.empty() && scan.text.back() == '\n') scan.text.pop_back();
  return scan;
}

// ---- Golden PNG round trip
// -----------------------------------------------------------------------

struct RoundTripCase {
  std::string name;
  int size_px;
  std::optional<Skin> skin;
  int modules;  // including the quiet zone
  int colour_type;
};

Skin BlueSkin() {
  Skin skin;
  skin.foreground_rgb = 0x003366;  // dark blue
  skin.background_rgb = 0xFFFFFF;
  skin.caption = "Store 12";  // PNG has no fonts: ignored
  return skin;
}

Skin LogoSkin() {
  Skin skin;
  skin.logo_area = true;
  return skin;
}

void PrintTo(const RoundTripCase& c, std::ostream* os) { *os << c.name; }

class RoundTripTest : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(RoundTripTest, PngDecodesToTheUrl) {
  const RoundTripCase& c = GetParam();
  RenderOptions options;
  options.format = ImageFormat::kPng;
  options.size_px = c.size_px;
  options.skin = c.skin;
  absl::StatusOr<std::string> png_bytes = RenderQr(kUrl, options);
  ASSERT_TRUE(png_bytes.ok()) << png_bytes.status();
  ASSERT_TRUE(absl::StartsWith(*png_bytes, kPngSignature));

  Png png;
  ASSERT_TRUE(ReadPng(*png_bytes, &png));
  const int scale = c.size_px / c.modules;
  const auto side = static_cast<uint32_t>(c.modules * scale);
  EXPECT_EQ(png.width, side);
  EXPECT_EQ(png.height, side);
  EXPECT_LE(png.width, static_cast<uint32_t>(c.size_px));
  EXPECT_GT(png.width + c.modules,
            static_cast<uint32_t>(c.size_px));  // one more pixel a module would not fit
  EXPECT_EQ(png.colour_type, c.colour_type);

  const Skin skin = c.skin.value_or(Skin{});
  EXPECT_EQ(png.Rgb(0, 0), skin.background_rgb);  // quiet zone
  const auto q = static_cast<uint32_t>(4 * scale);
  EXPECT_EQ(png.Rgb(q - 1, q - 1), skin.background_rgb);
  EXPECT_EQ(png.Rgb(q, q), skin.foreground_rgb);  // the top left finder pattern's corner
  for (uint32_t y = 0; y < png.height; ++y) {
    for (uint32_t x = 0; x < png.width; ++x) {
      const uint32_t rgb = png.Rgb(x, y);
      ASSERT_TRUE(rgb == skin.foreground_rgb || rgb == skin.background_rgb) << x << "," << y;
    }
  }

  // The centre square, a fifth of the symbol's width (odd), is blank exactly when a logo area
  // is asked for.
  const int symbol = c.modules - 8;
  int blank = (symbol + 4) / 5;
  if (blank % 2 == 0) ++blank;
  const auto from = static_cast<uint32_t>((4 + (symbol - blank) / 2) * scale);
  const auto to = from + static_cast<uint32_t>(blank * scale);
  int dark_in_centre = 0;
  for (uint32_t y = from; y < to; ++y) {
    for (uint32_t x = from; x < to; ++x) dark_in_centre += png.Rgb(x, y) == skin.foreground_rgb;
  }
  if (skin.logo_area) {
    EXPECT_EQ(dark_in_centre, 0);
  } else {
    EXPECT_GT(dark_in_centre, 0);
  }

  const std::optional<std::string> zbarimg = FindTool("zbarimg");
  if (!zbarimg) GTEST_SKIP() << "zbarimg not found (Debian package zbar-tools): decode not checked";
  const std::string path = WriteTemp(absl::StrCat(c.name, ".png"), *png_bytes);
  const Scan scan = Zbar(*zbarimg, path);
  EXPECT_EQ(scan.exit_code, 0);
  EXPECT_EQ(scan.text, std::string(kUrl));
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Golden, RoundTripTest,
    ::testing::Values(RoundTripCase{"plain_300", 300, std::nullopt, kModulesM, 0},
                      RoundTripCase{"plain_600", 600, std::nullopt, kModulesM, 0},
                      RoundTripCase{"blue_300", 300, BlueSkin(), kModulesM, 2},
                      RoundTripCase{"blue_600", 600, BlueSkin(), kModulesM, 2},
                      RoundTripCase{"logo_300", 300, LogoSkin(), kModulesH, 0},
                      RoundTripCase{"logo_600", 600, LogoSkin(), kModulesH, 0}),
    [](const ::testing::TestParamInfo<RoundTripCase>& info) { return info.param.name; });

TEST(RenderQrTest, MeasuredSizes) {
  // 287 = 41 * 7, 574 = 41 * 14, 1189 = 41 * 29, 2378 = 41 * 58; with a logo area (level H):
  // 294 = 49 * 6, 588 = 49 * 12, 1176 = 49 * 24, 2352 = 49 * 48.
  const std::vector<std::pair<int, std::pair<uint32_t, uint32_t>>> sizes = {
      {300, {287, 294}}, {600, {574, 588}}, {1200, {1189, 1176}}, {2400, {2378, 2352}}};
  for (const auto& [size_px, expected] : sizes) {
    for (bool logo : {false, true}) {
      RenderOptions options;
      options.size_px = size_px;
      if (logo) options.skin = LogoSkin();
      absl::StatusOr<std::string> bytes = RenderQr(kUrl, options);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      Png png;
      ASSERT_TRUE(ReadPng(*bytes, &png));
      EXPECT_EQ(png.width, logo ? expected.second : expected.first) << size_px << " logo " << logo;
    }
  }
}

TEST(RenderQrTest, LongContentWithLogoDecodes) {
  // Version 10 and up at level H: the blank square covers the central alignment pattern too.
  std::string content = "https://pay.example.com/c/";
  while (content.size() < 300) absl::StrAppend(&content, "AbCdEfGhIjKlMnOpQrStUv-_0123456789");
  content.resize(300);
  RenderOptions options;
  options.size_px = 600;
  options.skin = LogoSkin();
  absl::StatusOr<std::string> bytes = RenderQr(content, options);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const std::optional<std::string> zbarimg = FindTool("zbarimg");
  if (!zbarimg) GTEST_SKIP() << "zbarimg not found (Debian package zbar-tools): decode not checked";
  const std::string path = WriteTemp("long_logo.png", *bytes);
  const Scan scan = Zbar(*zbarimg, path);
  EXPECT_EQ(scan.exit_code, 0);
  EXPECT_EQ(scan.text, content);
  std::remove(path.c_str());
}

TEST(RenderQrTest, MaximumContentRendersWhenModulesFit) {
  const std::string content(kMaxQrContentBytes, 'a');
  RenderOptions options;
  options.size_px = 300;
  absl::StatusOr<std::string> plain = RenderQr(content, options);
  ASSERT_TRUE(plain.ok()) << plain.status();

  // At level H, 1024 bytes need version 36: 169 modules with the quiet zone, one pixel each in
  // 300 px, which does not scan.
  options.skin = LogoSkin();
  ExpectFieldError(RenderQr(content, options).status(), "size_px");
  options.size_px = 600;
  absl::StatusOr<std::string> logo = RenderQr(content, options);
  ASSERT_TRUE(logo.ok()) << logo.status();
  const std::optional<std::string> zbarimg = FindTool("zbarimg");
  if (!zbarimg) GTEST_SKIP() << "zbarimg not found (Debian package zbar-tools): decode not checked";
  for (const auto& [name, bytes] :
       {std::pair{"max_plain.png", *plain}, std::pair{"max_logo.png", *logo}}) {
    const std::string path = WriteTemp(name, bytes);
    const Scan scan = Zbar(*zbarimg, path);
    EXPECT_EQ(scan.exit_code, 0) << name;
    EXPECT_EQ(scan.text, content) << name;
    std::remove(path.c_str());
  }
}

TEST(RenderQrTest, ContentWithNulIsEncodedWhole) {
  RenderOptions options;
  absl::StatusOr<std::string> with_nul = RenderQr(absl::string_view("a\0b", 3), options);
  absl::StatusOr<std::string> cut = RenderQr("a", options);
  ASSERT_TRUE(with_nul.ok()) << with_nul.status();
  ASSERT_TRUE(cut.ok()) << cut.status();
  EXPECT_NE(*with_nul, *cut);
}

// ---- SVG ---------------------------------------------------------------------------------------

RenderOptions SvgOptions(std::optional<Skin> skin) {
  RenderOptions options;
  options.format = ImageFormat::kSvg;
  options.size_px = 300;
  options.skin = std::move(skin);
  return options;
}

void ExpectWellFormedXml(absl::string_view name, absl::string_view svg) {
  const std::optional<std::string> xmllint = FindTool("xmllint");
  if (!xmllint) return;
  const std::string path = WriteTemp(name, svg);
  int code = 0;
  const std::string errors =
      RunCommand(absl::StrCat(*xmllint, " --noout '", path, "' 2>&1"), &code);
  EXPECT_EQ(code, 0) << errors;
  std::remove(path.c_str());
}

TEST(RenderQrSvgTest, PlainDocument) {
  absl::StatusOr<std::string> svg = RenderQr(kUrl, SvgOptions(std::nullopt));
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_TRUE(absl::StartsWith(*svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"")) << *svg;
  EXPECT_TRUE(absl::EndsWith(*svg, "</svg>\n"));
  EXPECT_TRUE(absl::StrContains(*svg, "width=\"287\" height=\"287\" viewBox=\"0 0 287 287\""));
  EXPECT_TRUE(absl::StrContains(*svg, "<rect width=\"287\" height=\"287\" fill=\"#FFFFFF\"/>"));
  EXPECT_TRUE(absl::StrContains(*svg, "<path fill=\"#000000\" d=\"M28 28h49v7h-49z"));
  EXPECT_FALSE(absl::StrContains(*svg, "<text"));
  ExpectWellFormedXml("plain.svg", *svg);

  // A skin without a caption adds no text either.
  Skin skin = BlueSkin();
  skin.caption.clear();
  absl::StatusOr<std::string> skinned = RenderQr(kUrl, SvgOptions(skin));
  ASSERT_TRUE(skinned.ok()) << skinned.status();
  EXPECT_FALSE(absl::StrContains(*skinned, "<text"));
  EXPECT_TRUE(absl::StrContains(*skinned, "fill=\"#003366\""));
}

TEST(RenderQrSvgTest, CaptionIsEscapedAndBelowTheCode) {
  Skin skin = BlueSkin();
  skin.caption = "Tom & Jerry's <Caf\xC3\xA9> \"1\"";
  absl::StatusOr<std::string> svg = RenderQr(kUrl, SvgOptions(skin));
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_TRUE(absl::StrContains(
      *svg, ">Tom &amp; Jerry&apos;s &lt;Caf\xC3\xA9&gt; &quot;1&quot;</text>\n</svg>\n"))
      << *svg;
  EXPECT_FALSE(absl::StrContains(*svg, "<Caf"));
  // 23 ASCII characters at 0.6 em and one other at 1 em fit 90% of 287 px at 17 px a character;
  // the band below the code, 1.5 times that, makes the document taller than wide.
  EXPECT_TRUE(absl::StrContains(*svg, "width=\"287\" height=\"313\" viewBox=\"0 0 287 313\""));
  EXPECT_TRUE(absl::StrContains(*svg, "<text x=\"143.5\" y=\"304\""));
  EXPECT_TRUE(absl::StrContains(*svg, "font-size=\"17\""));
  // A short caption is set at a tenth of the width.
  skin.caption = "Store 12";
  absl::StatusOr<std::string> short_caption = RenderQr(kUrl, SvgOptions(skin));
  ASSERT_TRUE(short_caption.ok()) << short_caption.status();
  EXPECT_TRUE(absl::StrContains(*short_caption, "width=\"287\" height=\"329\""));
  EXPECT_TRUE(
      absl::StrContains(*short_caption, "y=\"315\" font-family=\"sans-serif\" font-size=\"28\""));
  EXPECT_TRUE(absl::StrContains(*svg, "text-anchor=\"middle\""));
  ExpectWellFormedXml("caption.svg", *svg);

  // In PNG the caption is ignored: the image is the same as without one.
  RenderOptions png_options;
  png_options.skin = skin;
  Skin no_caption = skin;
  no_caption.caption.clear();
  RenderOptions png_plain_options;
  png_plain_options.skin = no_caption;
  EXPECT_EQ(RenderQr(kUrl, png_options).value(), RenderQr(kUrl, png_plain_options).value());
}

TEST(RenderQrSvgTest, SvgDecodesWhereTheImageLibraryReadsSvg) {
  const std::optional<std::string> zbarimg = FindTool("zbarimg");
  if (!zbarimg) GTEST_SKIP() << "zbarimg not found (Debian package zbar-tools): decode not checked";
  Skin skin = BlueSkin();
  skin.caption = "Counter 3 \xE6\x94\xB6\xE6\xAC\xBE";
  skin.logo_area = true;
  absl::StatusOr<std::string> svg = RenderQr(kUrl, SvgOptions(skin));
  ASSERT_TRUE(svg.ok()) << svg.status();
  const std::string path = WriteTemp("skin.svg", *svg);
  const Scan scan = Zbar(*zbarimg, path);
  std::remove(path.c_str());
  if (scan.exit_code == 1) GTEST_SKIP() << "zbarimg's ImageMagick cannot read SVG here";
  EXPECT_EQ(scan.exit_code, 0);
  EXPECT_EQ(scan.text, std::string(kUrl));
}

// ---- Errors
// --------------------------------------------------------------------------------------

TEST(RenderQrErrorsTest, Content) {
  RenderOptions options;
  ExpectFieldError(RenderQr("", options).status(), "content");
  ExpectFieldError(RenderQr(std::string(kMaxQrContentBytes + 1, 'a'), options).status(), "content");
  EXPECT_TRUE(RenderQr(std::string(kMaxQrContentBytes, 'a'), options).ok());
}

TEST(RenderQrErrorsTest, SizeMustBeAPrintSize) {
  for (int size : {500, 0, -600, 299, 601, 4800}) {
    RenderOptions options;
    options.size_px = size;
    ExpectFieldError(RenderQr(kUrl, options).status(), "size_px");
  }
  for (int size : kPrintSizesPx) {
    RenderOptions options;
    options.size_px = size;
    options.format = ImageFormat::kSvg;
    EXPECT_TRUE(RenderQr(kUrl, options).ok()) << size;
  }
}

TEST(RenderQrErrorsTest, ColoursMustContrast) {
  const auto render = [](uint32_t fg, uint32_t bg, ImageFormat format = ImageFormat::kPng) {
    RenderOptions options;
    options.format = format;
    Skin skin;
    skin.foreground_rgb = fg;
    skin.background_rgb = bg;
    options.skin = skin;
    return RenderQr(kUrl, options).status();
  };
  ExpectFieldError(render(0xD3D3D3, 0xFFFFFF), "skin.foreground_rgb");  // light grey on white
  ExpectFieldError(render(0xD3D3D3, 0xFFFFFF, ImageFormat::kSvg), "skin.foreground_rgb");
  ExpectFieldError(render(0x999999, 0xFFFFFF), "skin.foreground_rgb");  // 2.8:1
  ExpectFieldError(render(0xFFFFFF, 0x000000), "skin.foreground_rgb");  // light on dark
  ExpectFieldError(render(0x003366, 0x003366), "skin.foreground_rgb");
  EXPECT_TRUE(render(0x767676, 0xFFFFFF).ok());  // 4.5:1
  EXPECT_TRUE(render(0x003366, 0xFFF8E0).ok());
  ExpectFieldError(render(0x1000000, 0xFFFFFF), "skin.foreground_rgb");
  ExpectFieldError(render(0x000000, 0x1000000), "skin.background_rgb");

  EXPECT_NEAR(ContrastRatio(0x000000, 0xFFFFFF), 21.0, 1e-9);
  EXPECT_NEAR(ContrastRatio(0xFFFFFF, 0x000000), 21.0, 1e-9);
  EXPECT_NEAR(ContrastRatio(0x123456, 0x123456), 1.0, 1e-9);
}

TEST(RenderQrErrorsTest, Caption) {
  const auto render = [](std::string caption, ImageFormat format = ImageFormat::kSvg) {
    RenderOptions options;
    options.format = format;
    Skin skin;
    skin.caption = std::move(caption);
    options.skin = skin;
    return RenderQr(kUrl, options).status();
  };
  EXPECT_TRUE(render(std::string(40, 'x')).ok());
  ExpectFieldError(render(std::string(41, 'x')), "skin.caption");
  ExpectFieldError(render(std::string(41, 'x'), ImageFormat::kPng), "skin.caption");
  std::string cjk;
  for (int i = 0; i < 40; ++i) cjk += "\xE6\x94\xB6";  // 120 bytes
  EXPECT_TRUE(render(cjk).ok());
  ExpectFieldError(render(cjk + "\xE6\x94\xB6"), "skin.caption");
  std::string emoji;
  for (int i = 0; i < 40; ++i) emoji += "\xF0\x9F\x98\x80";  // 160 bytes
  EXPECT_TRUE(render(emoji).ok());
  ExpectFieldError(render(emoji + "a"), "skin.caption");
  for (absl::string_view bad : {absl::string_view("caf\xC3"), absl::string_view("\xC0\xAF"),
                                absl::string_view("\xED\xA0\x80"), absl::string_view("\xFF"),
                                absl::string_view("a\nb"), absl::string_view("a\0b", 3),
                                absl::string_view("\xC2\x85"), absl::string_view("\xEF\xBF\xBF")}) {
    ExpectFieldError(render(std::string(bad)), "skin.caption");
  }
}

TEST(ParseRgbTest, AcceptsHashOrBareHex) {
  EXPECT_EQ(ParseRgb("#003366", "foreground").value(), 0x003366u);
  EXPECT_EQ(ParseRgb("003366", "foreground").value(), 0x003366u);
  EXPECT_EQ(ParseRgb("#ffFFfe", "foreground").value(), 0xFFFFFEu);
  for (absl::string_view bad : {"", "#", "#FFF", "FFF", "#GGGGGG", "0x003366", " #003366",
                                "#003366 ", "#0033666", "##003366", "-03366"}) {
    ExpectFieldError(ParseRgb(bad, "skin.background").status(), "skin.background");
  }
}

TEST(ImageFormatTest, NamesAndMimeTypes) {
  for (ImageFormat format : kAllImageFormats) {
    EXPECT_EQ(ParseImageFormat(ImageFormatName(format)).value(), format);
  }
  EXPECT_EQ(ImageFormatName(ImageFormat::kPng), "png");
  EXPECT_EQ(ImageFormatName(ImageFormat::kSvg), "svg");
  EXPECT_EQ(MimeType(ImageFormat::kPng), "image/png");
  EXPECT_EQ(MimeType(ImageFormat::kSvg), "image/svg+xml");
  for (absl::string_view bad : {"", "PNG", "jpeg", "svg "}) {
    ExpectFieldError(ParseImageFormat(bad).status(), "format");
  }
  ExpectFieldError(ParseImageFormat("gif", "backup.format").status(), "backup.format");
}

// ---- Determinism
// ---------------------------------------------------------------------------------

TEST(RenderQrTest, SameInputSameBytes) {
  Skin skin = BlueSkin();
  skin.logo_area = true;
  for (ImageFormat format : kAllImageFormats) {
    RenderOptions options;
    options.format = format;
    options.skin = skin;
    absl::StatusOr<std::string> first = RenderQr(kUrl, options);
    absl::StatusOr<std::string> second = RenderQr(kUrl, options);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(*first, *second) << ImageFormatName(format);
    EXPECT_NE(*first, RenderQr(absl::StrCat(kUrl, "x"), options).value())
        << ImageFormatName(format);
  }
}

}  // namespace
}  // namespace aggpay::binding
