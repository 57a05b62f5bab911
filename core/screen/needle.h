#pragma once

#include <QImage>
#include <QList>
#include <QPoint>
#include <QRect>
#include <QString>
#include <QStringList>
#include <optional>

namespace vivarium {

// A needle in openQA's format: a PNG and a JSON file of the same name with the areas of it that
// must be on the screen ("match"), that are read as text ("ocr") and that may differ
// ("exclude"), each match area with its level (percent), its margin (how far it may have moved,
// in pixels) and perhaps a click point.
struct NeedleArea {
    enum class Type { Match, Ocr, Exclude };
    Type type = Type::Match;
    QRect rect;
    int match = 96; // openQA's default level
    int margin = 50; // openQA's default
    std::optional<QPoint> clickPoint; // relative to the area
};

struct Needle {
    QString file; // the JSON file (or the PNG itself, for a bare PNG)
    QImage image;
    QList<NeedleArea> areas;
    QStringList tags;

    QList<NeedleArea> matchAreas() const;
};

// Reads a needle: NAME.json beside NAME.png, or a bare PNG (one match area, the whole image,
// looked for anywhere on the screen). Throws ScreenError saying what is wrong and where.
Needle loadNeedle(const QString &path);
// The JSON part, against an image of imageSize (for tests and the loader).
QList<NeedleArea> parseNeedleAreas(
    const QByteArray &json, const QString &file, const QSize &imageSize, QStringList *tags);

// Writes screen as NAME.png and one match area (openQA's defaults: level 96, margin 50) as
// NAME.json, jsonPath being NAME.json; the directory is made. Returns what went wrong, or "".
QString saveNeedle(
    const QImage &screen, const QRect &area, const QString &jsonPath, const QStringList &tags = {});

struct AreaMatch {
    QRect expected; // where the needle has it
    QRect found; // where the best match on the screen is
    double similarity = 0; // 0..1: 1 - RMS difference / 255 over the unexcluded pixels
    double level = 0.96; // what it had to reach
    bool ok() const { return similarity >= level; }
};

struct NeedleMatch {
    QList<AreaMatch> areas; // one per match area
    bool ok() const;
    double worst() const;
    // On the screen: the area's click point where it was found (the first area's centre
    // when the needle has none).
    QPoint click;
    QString summary() const; // "area 1 at (x, y) 91.2 % (needs 96 %)..."
};

// Looks for each match area within its margin of where the needle has it. threshold (0..1)
// replaces every area's level when given. Throws ScreenError when an area is not inside screen.
NeedleMatch matchNeedle(
    const Needle &needle, const QImage &screen, std::optional<double> threshold = {});
// The screen with where each area was expected (blue), was found (green: matched, red: not)
// and, in red, the pixels that differ at the best place: the artifact of a mismatch.
QImage needleDiffImage(const Needle &needle, const QImage &screen, const NeedleMatch &match);

} // namespace vivarium
