// libFuzzer: a needle's JSON (openQA's format) as a test's author or a download may give it,
// parsed against a small image and, when accepted, matched on a screen and drawn as the diff
// image: areas, margins, levels and click points from hostile numbers must never reach OpenCV
// outside the image or the screen.
#include "core/screen/needle.h"
#include "core/screen/screenerror.h"

#include <QPainter>
#include <cstddef>
#include <cstdint>

namespace {

QImage pattern(const QSize &size, int shift)
{
    QImage image(size, QImage::Format_RGB32);
    for (int y = 0; y < size.height(); ++y) {
        for (int x = 0; x < size.width(); ++x)
            image.setPixel(x, y, qRgb((x * 7 + shift) % 256, (y * 11) % 256, ((x ^ y) * 5) % 256));
    }
    return image;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QImage needleImage = pattern(QSize(64, 48), 0);
    static const QImage screen = pattern(QSize(96, 72), 3);
    const QByteArray json(reinterpret_cast<const char *>(data), qsizetype(size));
    vivarium::Needle needle;
    needle.file = QStringLiteral("fuzz.json");
    needle.image = needleImage;
    try {
        needle.areas
            = vivarium::parseNeedleAreas(json, needle.file, needleImage.size(), &needle.tags);
    } catch (const vivarium::ScreenError &) {
        return 0; // refused, with a message: what bad input must get
    }
    // What the parser accepts is inside the image, with its level and margin in range.
    for (const vivarium::NeedleArea &area : std::as_const(needle.areas)) {
        if (!needleImage.rect().contains(area.rect) || area.match < 1 || area.match > 100
            || area.margin < 0)
            __builtin_trap();
    }
    try {
        const vivarium::NeedleMatch match = vivarium::matchNeedle(needle, screen);
        if (match.areas.size() != needle.matchAreas().size())
            __builtin_trap();
        vivarium::needleDiffImage(needle, screen, match);
    } catch (const vivarium::ScreenError &) {
    }
    return 0;
}
