#include "core/screen/ocr.h"

#include "core/screen/screenerror.h"
#include "core/screen/screenimage.h"

#include <cmath>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

// libtesseract runs its networks on OpenMP teams of a fixed size. On a host whose cores are
// busy (TCG guests), one read of a 1024x768 screen took ~500 ms that way instead of ~140 ms
// (docs/graphical-tests.md): each thread that reads lets OpenMP size its teams by the load.
// (OMP_THREAD_LIMIT would do it too, but libgomp reads it before main.)
extern "C" void omp_set_num_threads(int threads);
extern "C" void omp_set_dynamic(int dynamic);

namespace vivarium::ocr {

namespace {

// Screen fonts are 8-16 px high; tesseract reads better at print sizes. 1.5 times read the
// fixtures as well as twice and took 15-25 % less time (docs/graphical-tests.md).
constexpr double scale = 1.5;

tesseract::TessBaseAPI &engine()
{
    // A tesseract is not to be shared between threads, and starting one reads ~15 MB of model:
    // each thread that reads keeps its own.
    thread_local std::unique_ptr<tesseract::TessBaseAPI> api;
    if (api)
        return *api;
    omp_set_num_threads(1);
    omp_set_dynamic(1);
    auto fresh = std::make_unique<tesseract::TessBaseAPI>();
    if (fresh->Init(nullptr, "eng", tesseract::OEM_LSTM_ONLY) != 0)
        throw ScreenError(QStringLiteral(
            "OCR needs tesseract's English data (eng.traineddata), which is not installed here: "
            "install the Debian package tesseract-ocr-eng (scripts/setup does), or set "
            "TESSDATA_PREFIX to the directory that holds it"));
    fresh->SetVariable("debug_file", "/dev/null");
    // The variants are the inversion; tesseract's own retry of each line inverted doubles
    // its time on a screen with little text.
    fresh->SetVariable("tessedit_do_invert", "0");
    // The screen as one block of lines. NixOS's driver reads "sparse text" (--psm 11); on a
    // terminal that layout analysis takes aligned words for table columns and drops the short
    // ones ("line 1 of a screen" read as "line of screen"), and it is slower.
    fresh->SetPageSegMode(tesseract::PSM_SINGLE_BLOCK);
    api = std::move(fresh);
    return *api;
}

} // namespace

const QList<Variant> &variants()
{
    static const QList<Variant> all { Variant::Plain, Variant::Contrast, Variant::Inverted };
    return all;
}

QImage prepare(const QImage &screen, Variant variant)
{
    cv::Mat grey = greyMat(screen);
    cv::Mat scaled;
    cv::resize(grey, scaled, cv::Size(), scale, scale, cv::INTER_CUBIC);
    if (variant == Variant::Plain)
        return imageFromMat(scaled);
    cv::Mat stretched, binary;
    cv::normalize(scaled, stretched, 0, 255, cv::NORM_MINMAX);
    cv::threshold(stretched, binary, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    if (variant == Variant::Inverted)
        cv::bitwise_not(binary, binary);
    return imageFromMat(binary);
}

QString regionProblem(const QRect &region, const QSize &screen)
{
    if (region.isNull())
        return {};
    if (region.width() <= 0 || region.height() <= 0)
        return QStringLiteral("the region (%1, %2, %3, %4) is empty")
            .arg(region.x())
            .arg(region.y())
            .arg(region.width())
            .arg(region.height());
    if (!QRect(QPoint(0, 0), screen).contains(region))
        return QStringLiteral("the region (%1, %2, %3, %4) is not inside the %5x%6 screen")
            .arg(region.x())
            .arg(region.y())
            .arg(region.width())
            .arg(region.height())
            .arg(screen.width())
            .arg(screen.height());
    return {};
}

Reading read(const QImage &screen, Variant variant, const QRect &region)
{
    if (const QString problem = regionProblem(region, screen.size()); !problem.isEmpty())
        throw ScreenError(problem);
    const QRect area = region.isNull() ? screen.rect() : region;
    const QImage prepared = prepare(screen.copy(area), variant);
    tesseract::TessBaseAPI &api = engine();
    api.SetImage(
        prepared.constBits(), prepared.width(), prepared.height(), 1, prepared.bytesPerLine());
    api.SetSourceResolution(int(96 * scale));
    Reading reading;
    if (api.Recognize(nullptr) != 0)
        return reading;
    std::unique_ptr<tesseract::ResultIterator> it(api.GetIterator());
    if (!it)
        return reading;
    do {
        const std::unique_ptr<char[]> utf8(it->GetUTF8Text(tesseract::RIL_WORD));
        if (!utf8)
            continue;
        const QString text = QString::fromUtf8(utf8.get()).trimmed();
        if (text.isEmpty())
            continue;
        int left = 0, top = 0, right = 0, bottom = 0;
        it->BoundingBox(tesseract::RIL_WORD, &left, &top, &right, &bottom);
        if (reading.lines.isEmpty() || it->IsAtBeginningOf(tesseract::RIL_TEXTLINE))
            reading.lines.append(Line {});
        const auto back = [](int scaled) { return int(std::lround(scaled / scale)); };
        const QRect box(QPoint(area.x() + back(left), area.y() + back(top)),
            QPoint(area.x() + back(right) - 1, area.y() + back(bottom) - 1));
        reading.lines.last().words.append(Word { text, box });
    } while (it->Next(tesseract::RIL_WORD));
    api.Clear();
    return reading;
}

QString Line::text() const
{
    QStringList parts;
    for (const Word &word : words)
        parts.append(word.text);
    return parts.join(QLatin1Char(' '));
}

QString Reading::text() const
{
    QStringList parts;
    for (const Line &line : lines)
        parts.append(line.text());
    return parts.join(QLatin1Char('\n'));
}

QList<QRect> find(const Reading &reading, const QRegularExpression &regex)
{
    QList<QRect> boxes;
    for (const Line &line : reading.lines) {
        // Where each word starts in the line's text, to map a match back to its words.
        QList<qsizetype> starts;
        qsizetype at = 0;
        for (const Word &word : line.words) {
            starts.append(at);
            at += word.text.size() + 1;
        }
        const QString text = line.text();
        for (auto it = regex.globalMatch(text); it.hasNext();) {
            const QRegularExpressionMatch match = it.next();
            QRect box;
            for (qsizetype i = 0; i < line.words.size(); ++i) {
                const qsizetype start = starts.at(i);
                const qsizetype end = start + line.words.at(i).text.size();
                const bool overlaps = start < match.capturedEnd()
                    && (end > match.capturedStart()
                        || (match.capturedLength() == 0 && end >= match.capturedStart()));
                if (overlaps)
                    box = box.united(line.words.at(i).box);
            }
            if (!box.isNull())
                boxes.append(box);
        }
    }
    return boxes;
}

} // namespace vivarium::ocr
