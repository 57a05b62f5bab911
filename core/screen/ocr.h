#pragma once

#include <QImage>
#include <QList>
#include <QRect>
#include <QRegularExpression>
#include <QString>

namespace vivarium {

// Reading text off a guest's screen with libtesseract in this process (English data). The
// screen is prepared in memory first, in one of three ways (NixOS's driver reads the same three
// with the tesseract program over ImageMagick files): as it is in grey, with its contrast
// stretched and its threshold taken, and that inverted (light text on a dark background).
namespace ocr {

enum class Variant { Plain, Contrast, Inverted };
const QList<Variant> &variants();

// The image tesseract reads: grey, scaled up (screen fonts are smaller than the print
// tesseract was trained on) and processed as the variant says.
QImage prepare(const QImage &screen, Variant variant);

struct Word {
    QString text;
    QRect box; // in screen pixels
};
struct Line {
    QList<Word> words;
    QString text() const; // the words with one space between
};
struct Reading {
    QList<Line> lines;
    QString text() const; // one line of text per line
};

// Reads region of screen (the whole screen when null) prepared as variant says. Throws
// ScreenError when the region is outside the screen or tesseract has no English data.
// Thread-safe: each thread keeps its own tesseract.
Reading read(const QImage &screen, Variant variant, const QRect &region = {});

// Where regex matches the text of a line: one box around the words it covers per match.
QList<QRect> find(const Reading &reading, const QRegularExpression &regex);

// Why a region cannot be read (empty when it can): outside screen, or empty.
QString regionProblem(const QRect &region, const QSize &screen);

} // namespace ocr

} // namespace vivarium
