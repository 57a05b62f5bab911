#include "core/screen/needle.h"

#include "core/screen/screenerror.h"
#include "core/screen/screenimage.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

namespace vivarium {

namespace {

QString rectText(const QRect &r)
{
    return QStringLiteral("(%1, %2, %3x%4)").arg(r.x()).arg(r.y()).arg(r.width()).arg(r.height());
}

int areaInteger(const QJsonObject &area, const char *key, int fallback, bool required,
    const QString &where, int min = 0, int max = 100000)
{
    const QJsonValue value = area.value(QLatin1String(key));
    if (value.isUndefined()) {
        if (required)
            throw ScreenError(QStringLiteral("%1 has no '%2'").arg(where, QLatin1String(key)));
        return fallback;
    }
    const double number = value.toDouble(std::numeric_limits<double>::quiet_NaN());
    if (!value.isDouble() || number != std::floor(number) || number < min || number > max)
        throw ScreenError(QStringLiteral("%1: '%2' must be a whole number from %3 to %4")
                              .arg(where, QLatin1String(key))
                              .arg(min)
                              .arg(max));
    return int(number);
}

NeedleArea::Type areaType(const QJsonObject &area, const QString &where)
{
    const QString type = area.value(QLatin1String("type")).toString(QStringLiteral("match"));
    if (type == QLatin1String("match"))
        return NeedleArea::Type::Match;
    if (type == QLatin1String("ocr"))
        return NeedleArea::Type::Ocr;
    if (type == QLatin1String("exclude"))
        return NeedleArea::Type::Exclude;
    throw ScreenError(QStringLiteral("%1: 'type' must be \"match\", \"ocr\" or \"exclude\", not "
                                     "\"%2\"")
                          .arg(where, type));
}

// The similarity of template at its best place in window: 1 - RMS difference / 255 over the
// pixels mask keeps, with where that place is.
std::pair<double, QPoint> bestPlace(
    const cv::Mat &window, const cv::Mat &templ, const cv::Mat &mask)
{
    const double kept = double(cv::countNonZero(mask)) * templ.channels();
    if (kept == 0)
        return { 1.0, QPoint(0, 0) }; // all of it excluded: anything matches
    cv::Mat result;
    cv::matchTemplate(window, templ, result, cv::TM_SQDIFF, mask);
    double least = 0;
    cv::Point at;
    cv::minMaxLoc(result, &least, nullptr, &at, nullptr);
    const double rms = std::sqrt(std::max(0.0, least) / kept);
    return { std::clamp(1.0 - rms / 255.0, 0.0, 1.0), QPoint(at.x, at.y) };
}

} // namespace

QList<NeedleArea> Needle::matchAreas() const
{
    QList<NeedleArea> found;
    for (const NeedleArea &area : areas) {
        if (area.type == NeedleArea::Type::Match)
            found.append(area);
    }
    return found;
}

QList<NeedleArea> parseNeedleAreas(
    const QByteArray &json, const QString &file, const QSize &imageSize, QStringList *tags)
{
    QJsonParseError error {};
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        throw ScreenError(QStringLiteral("needle %1 is not JSON: %2 at byte %3")
                              .arg(file, error.errorString())
                              .arg(error.offset));
    if (!document.isObject())
        throw ScreenError(QStringLiteral("needle %1 must hold a JSON object").arg(file));
    const QJsonObject root = document.object();
    if (tags) {
        for (const QJsonValue &tag : root.value(QLatin1String("tags")).toArray())
            tags->append(tag.toString());
    }
    const QJsonValue areaValue = root.value(QLatin1String("area"));
    if (!areaValue.isArray() || areaValue.toArray().isEmpty())
        throw ScreenError(
            QStringLiteral("needle %1 has no 'area' array (openQA's needle format)").arg(file));
    QList<NeedleArea> areas;
    const QJsonArray array = areaValue.toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QString where = QStringLiteral("needle %1: area %2").arg(file).arg(i + 1);
        if (!array.at(i).isObject())
            throw ScreenError(QStringLiteral("%1 must be an object").arg(where));
        const QJsonObject object = array.at(i).toObject();
        NeedleArea area;
        area.type = areaType(object, where);
        area.rect = QRect(areaInteger(object, "xpos", 0, true, where),
            areaInteger(object, "ypos", 0, true, where),
            areaInteger(object, "width", 0, true, where, 1),
            areaInteger(object, "height", 0, true, where, 1));
        area.match = areaInteger(object, "match", 96, false, where, 1, 100);
        area.margin = areaInteger(object, "margin", 50, false, where);
        const QJsonValue click = object.value(QLatin1String("click_point"));
        if (click.isString() && click.toString() == QLatin1String("center"))
            area.clickPoint = QPoint(area.rect.width() / 2, area.rect.height() / 2);
        else if (click.isObject())
            area.clickPoint = QPoint(areaInteger(click.toObject(), "xpos", 0, true,
                                         where + QStringLiteral(" click_point")),
                areaInteger(
                    click.toObject(), "ypos", 0, true, where + QStringLiteral(" click_point")));
        else if (!click.isUndefined())
            throw ScreenError(
                QStringLiteral("%1: 'click_point' must be {\"xpos\", \"ypos\"} or \"center\"")
                    .arg(where));
        if (!QRect(QPoint(0, 0), imageSize).contains(area.rect))
            throw ScreenError(QStringLiteral("%1 %2 is outside the needle's %3x%4 image")
                                  .arg(where, rectText(area.rect))
                                  .arg(imageSize.width())
                                  .arg(imageSize.height()));
        areas.append(area);
    }
    if (std::none_of(areas.cbegin(), areas.cend(),
            [](const NeedleArea &a) { return a.type == NeedleArea::Type::Match; }))
        throw ScreenError(QStringLiteral("needle %1 has no area of type \"match\"").arg(file));
    return areas;
}

Needle loadNeedle(const QString &path)
{
    const QFileInfo info(path);
    Needle needle;
    needle.file = info.absoluteFilePath();
    const bool bare = info.suffix().compare(QLatin1String("png"), Qt::CaseInsensitive) == 0;
    const QString png = bare
        ? needle.file
        : info.absolutePath() + QLatin1Char('/') + info.completeBaseName() + QStringLiteral(".png");
    if (!info.exists())
        throw ScreenError(QStringLiteral("needle %1 does not exist").arg(needle.file));
    if (!QFileInfo::exists(png))
        throw ScreenError(QStringLiteral("needle %1 names the image %2, which does not exist")
                              .arg(needle.file, png));
    needle.image = QImage(png);
    if (needle.image.isNull())
        throw ScreenError(QStringLiteral("needle %1: %2 is not a PNG image").arg(needle.file, png));
    if (bare) {
        NeedleArea whole;
        whole.rect = needle.image.rect();
        whole.margin = std::numeric_limits<int>::max() / 4; // anywhere on the screen
        needle.areas.append(whole);
        return needle;
    }
    QFile file(needle.file);
    if (!file.open(QIODevice::ReadOnly))
        throw ScreenError(
            QStringLiteral("needle %1 cannot be read: %2").arg(needle.file, file.errorString()));
    needle.areas = parseNeedleAreas(file.readAll(), needle.file, needle.image.size(), &needle.tags);
    return needle;
}

QString saveNeedle(
    const QImage &screen, const QRect &area, const QString &jsonPath, const QStringList &tags)
{
    const QFileInfo info(jsonPath);
    if (!screen.rect().contains(area) || area.isEmpty())
        return QStringLiteral("the area %1 is not inside the %2x%3 screen")
            .arg(rectText(area))
            .arg(screen.width())
            .arg(screen.height());
    if (!QDir().mkpath(info.absolutePath()))
        return QStringLiteral("cannot create %1").arg(info.absolutePath());
    const QString png
        = info.absolutePath() + QLatin1Char('/') + info.completeBaseName() + QStringLiteral(".png");
    if (!screen.save(png, "PNG"))
        return QStringLiteral("cannot write %1").arg(png);
    const QJsonObject object {
        { QStringLiteral("area"),
            QJsonArray { QJsonObject { { QStringLiteral("xpos"), area.x() },
                { QStringLiteral("ypos"), area.y() }, { QStringLiteral("width"), area.width() },
                { QStringLiteral("height"), area.height() },
                { QStringLiteral("type"), QStringLiteral("match") },
                { QStringLiteral("match"), 96 }, { QStringLiteral("margin"), 50 } } } },
        { QStringLiteral("tags"), QJsonArray::fromStringList(tags) },
        { QStringLiteral("properties"), QJsonArray() }
    };
    QFile file(jsonPath);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || file.write(QJsonDocument(object).toJson()) < 0)
        return QStringLiteral("cannot write %1: %2").arg(jsonPath, file.errorString());
    return {};
}

bool NeedleMatch::ok() const
{
    return !areas.isEmpty()
        && std::all_of(areas.cbegin(), areas.cend(), [](const AreaMatch &a) { return a.ok(); });
}

double NeedleMatch::worst() const
{
    double worst = 1;
    for (const AreaMatch &area : areas)
        worst = std::min(worst, area.similarity);
    return worst;
}

QString NeedleMatch::summary() const
{
    QStringList parts;
    for (qsizetype i = 0; i < areas.size(); ++i) {
        const AreaMatch &a = areas.at(i);
        parts.append(QStringLiteral("area %1 %2: best %3 % at (%4, %5), needs %6 %")
                         .arg(i + 1)
                         .arg(rectText(a.expected))
                         .arg(a.similarity * 100, 0, 'f', 1)
                         .arg(a.found.x())
                         .arg(a.found.y())
                         .arg(a.level * 100, 0, 'f', 0));
    }
    return parts.join(QStringLiteral("; "));
}

NeedleMatch matchNeedle(const Needle &needle, const QImage &screen, std::optional<double> threshold)
{
    const cv::Mat screenMat = bgrMat(screen);
    const cv::Mat needleMat = bgrMat(needle.image);
    NeedleMatch result;
    bool clickSet = false;
    for (const NeedleArea &area : needle.matchAreas()) {
        if (!screen.rect().contains(area.rect))
            throw ScreenError(QStringLiteral("needle %1: area %2 is outside the %3x%4 screen")
                                  .arg(needle.file, rectText(area.rect))
                                  .arg(screen.width())
                                  .arg(screen.height()));
        // The pixels of the area that count: all but the exclude areas.
        cv::Mat mask(area.rect.height(), area.rect.width(), CV_8UC1, cv::Scalar(255));
        for (const NeedleArea &other : needle.areas) {
            if (other.type != NeedleArea::Type::Exclude)
                continue;
            const QRect cut = other.rect.intersected(area.rect).translated(-area.rect.topLeft());
            if (!cut.isEmpty())
                mask(cv::Rect(cut.x(), cut.y(), cut.width(), cut.height())) = cv::Scalar(0);
        }
        const cv::Mat templ = needleMat(
            cv::Rect(area.rect.x(), area.rect.y(), area.rect.width(), area.rect.height()));
        const QRect window
            = area.rect.adjusted(-area.margin, -area.margin, area.margin, area.margin)
                  .intersected(screen.rect());
        const auto [similarity, at] = bestPlace(
            screenMat(cv::Rect(window.x(), window.y(), window.width(), window.height())), templ,
            mask);
        AreaMatch match;
        match.expected = area.rect;
        match.found = QRect(window.topLeft() + at, area.rect.size());
        match.similarity = similarity;
        match.level = threshold.value_or(area.match / 100.0);
        if (!clickSet && (area.clickPoint || result.areas.isEmpty())) {
            result.click = match.found.topLeft()
                + area.clickPoint.value_or(QPoint(area.rect.width() / 2, area.rect.height() / 2));
            clickSet = area.clickPoint.has_value();
        }
        result.areas.append(match);
    }
    return result;
}

QImage needleDiffImage(const Needle &needle, const QImage &screen, const NeedleMatch &match)
{
    QImage out = screen.convertToFormat(QImage::Format_RGB32);
    const QList<NeedleArea> areas = needle.matchAreas();
    const qsizetype count = std::min(match.areas.size(), areas.size());
    for (qsizetype i = 0; i < count; ++i) {
        const AreaMatch &a = match.areas.at(i);
        const QImage expected = needle.image.copy(a.expected).convertToFormat(QImage::Format_RGB32);
        const QImage seen = out.copy(a.found);
        for (int y = 0; y < expected.height() && y < seen.height(); ++y) {
            for (int x = 0; x < expected.width() && x < seen.width(); ++x) {
                const QRgb e = expected.pixel(x, y), s = seen.pixel(x, y);
                const int d = std::abs(qRed(e) - qRed(s)) + std::abs(qGreen(e) - qGreen(s))
                    + std::abs(qBlue(e) - qBlue(s));
                if (d > 48)
                    out.setPixel(a.found.x() + x, a.found.y() + y, qRgb(255, 0, 0));
            }
        }
    }
    QPainter painter(&out);
    for (qsizetype i = 0; i < count; ++i) {
        const AreaMatch &a = match.areas.at(i);
        painter.setPen(QPen(QColor(0, 90, 255), 2));
        painter.drawRect(a.expected);
        painter.setPen(QPen(a.ok() ? QColor(0, 200, 0) : QColor(255, 0, 0), 2, Qt::DashLine));
        painter.drawRect(a.found);
    }
    painter.end();
    return out;
}

} // namespace vivarium
