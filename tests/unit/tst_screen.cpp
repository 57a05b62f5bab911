// Reading screens without a guest: OCR of fixture screens with known text (a real xterm
// screenshot of an X11 guest, and light text drawn on a dark background), and openQA needles
// parsed (good and bad files) and matched within their margins.
#include "buildpaths.h"
#include "core/screen/needle.h"
#include "core/screen/ocr.h"
#include "core/screen/screenerror.h"

#include <QFile>
#include <QPainter>
#include <QTemporaryDir>
#include <QTest>
#include <thread>

using namespace vivarium;

namespace {

QImage xtermScreen()
{
    // An xterm on icewm (desktop = "x11"), 1024x768, after `echo hello vivarium`.
    const QImage image(QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/unit/screens/xterm-hello.png"));
    if (image.isNull())
        qFatal("the fixture screen is missing");
    return image;
}

const QRect xtermWindow(100, 100, 673, 377); // where icewm put it, frame included

QImage darkConsole()
{
    QImage image(800, 200, QImage::Format_RGB32);
    image.fill(QColor(0x18, 0x18, 0x28));
    QPainter painter(&image);
    QFont font(QStringLiteral("DejaVu Sans Mono"));
    font.setPixelSize(16);
    painter.setFont(font);
    painter.setPen(QColor(0xe0, 0xe0, 0xe0));
    painter.drawText(20, 60, QStringLiteral("Welcome to the dark side of vivarium"));
    painter.drawText(20, 120, QStringLiteral("login: operator"));
    painter.end();
    return image;
}

QString writeNeedle(
    const QTemporaryDir &dir, const QString &name, const QImage &png, const QByteArray &json)
{
    png.save(dir.filePath(name + QStringLiteral(".png")));
    QFile file(dir.filePath(name + QStringLiteral(".json")));
    if (!file.open(QIODevice::WriteOnly))
        qFatal("cannot write a needle");
    file.write(json);
    return file.fileName();
}

QByteArray areaJson(const QRect &r, const QByteArray &extra = {})
{
    return QStringLiteral(R"({"xpos": %1, "ypos": %2, "width": %3, "height": %4, "type": "match")")
               .arg(r.x())
               .arg(r.y())
               .arg(r.width())
               .arg(r.height())
               .toUtf8()
        + extra + "}";
}

} // namespace

class TestScreen : public QObject {
    Q_OBJECT

private slots:
    void variantsAreGreyScaledAndThresholded()
    {
        const QImage screen = xtermScreen();
        const QImage plain = ocr::prepare(screen, ocr::Variant::Plain);
        QCOMPARE(plain.size(), screen.size() * 1.5);
        QCOMPARE(plain.format(), QImage::Format_Grayscale8);
        const QImage contrast = ocr::prepare(screen, ocr::Variant::Contrast);
        const QImage inverted = ocr::prepare(screen, ocr::Variant::Inverted);
        QSet<int> levels;
        for (int y = 0; y < contrast.height(); y += 7) {
            for (int x = 0; x < contrast.width(); x += 7) {
                const int c = qGray(contrast.pixel(x, y));
                levels.insert(c);
                QCOMPARE(qGray(inverted.pixel(x, y)), 255 - c);
            }
        }
        QCOMPARE(levels, (QSet<int> { 0, 255 }));
    }

    void readsTheXtermScreen()
    {
        const ocr::Reading reading = ocr::read(xtermScreen(), ocr::Variant::Plain);
        const QString text = reading.text();
        QVERIFY2(text.contains(QStringLiteral("echo hello vivarium")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("root@desk")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("xterm")), qPrintable(text));
    }

    void findTextGivesBoxesInsideTheWindow()
    {
        const ocr::Reading reading = ocr::read(xtermScreen(), ocr::Variant::Plain);
        const QList<QRect> boxes
            = ocr::find(reading, QRegularExpression(QStringLiteral("^hello vivarium$")));
        QCOMPARE(boxes.size(), 1);
        const QRect box = boxes.first();
        QVERIFY2(xtermWindow.contains(box),
            qPrintable(QStringLiteral("%1,%2 %3x%4")
                           .arg(box.x())
                           .arg(box.y())
                           .arg(box.width())
                           .arg(box.height())));
        // The output line, under the command line: about x 108-262, y 152-168 on the screen.
        QVERIFY(qAbs(box.left() - 108) <= 4);
        QVERIFY(qAbs(box.right() - 261) <= 6);
        QVERIFY(box.top() > 145 && box.bottom() < 175);
        QVERIFY(ocr::find(reading, QRegularExpression(QStringLiteral("goodbye"))).isEmpty());
    }

    void aRegionReadsOnlyItsPart()
    {
        const QImage screen = xtermScreen();
        const QString inWindow
            = ocr::read(screen, ocr::Variant::Plain, QRect(104, 126, 400, 70)).text();
        QVERIFY2(inWindow.contains(QStringLiteral("hello vivarium")), qPrintable(inWindow));
        QVERIFY2(!inWindow.contains(QStringLiteral("xterm")), qPrintable(inWindow));
        const QList<QRect> boxes
            = ocr::find(ocr::read(screen, ocr::Variant::Plain, QRect(104, 126, 400, 70)),
                QRegularExpression(QStringLiteral("^hello")));
        QCOMPARE(boxes.size(), 1);
        QVERIFY(QRect(104, 126, 400, 70).contains(boxes.first()));
    }

    void aRegionOffTheScreenIsRefused()
    {
        try {
            ocr::read(xtermScreen(), ocr::Variant::Plain, QRect(900, 700, 200, 100));
            QFAIL("a region off the screen was read");
        } catch (const ScreenError &e) {
            QCOMPARE(e.message(),
                QStringLiteral(
                    "the region (900, 700, 200, 100) is not inside the 1024x768 screen"));
        }
    }

    void lightTextOnDarkNeedsTheInvertedVariant()
    {
        const QImage screen = darkConsole();
        const QString inverted = ocr::read(screen, ocr::Variant::Inverted).text();
        QVERIFY2(inverted.contains(QStringLiteral("dark side of vivarium")), qPrintable(inverted));
        QVERIFY2(inverted.contains(QStringLiteral("login: operator")), qPrintable(inverted));
    }

    void missingOcrDataIsSaidWithWhatToInstall()
    {
        // A thread of its own: each thread starts its own tesseract, reading TESSDATA_PREFIX.
        const QByteArray before = qgetenv("TESSDATA_PREFIX");
        qputenv("TESSDATA_PREFIX", "/nonexistent/tessdata");
        QString message;
        std::thread reader([&] {
            try {
                ocr::read(darkConsole(), ocr::Variant::Plain);
            } catch (const ScreenError &e) {
                message = e.message();
            }
        });
        reader.join();
        if (before.isNull())
            qunsetenv("TESSDATA_PREFIX");
        else
            qputenv("TESSDATA_PREFIX", before);
        QVERIFY2(message.contains(QStringLiteral("tesseract-ocr-eng")), qPrintable(message));
    }

    void needleFiles_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("error"); // empty: good
        QTest::addColumn<int>("areas");
        const QByteArray good = areaJson(QRect(10, 10, 50, 20));
        QTest::newRow("openQA's own")
            << QByteArray(R"({"area": [{"xpos": 10, "ypos": 10, "width": 50,
            "height": 20, "type": "match", "match": 90, "margin": 20, "click_point": {"xpos": 5,
            "ypos": 6}}, {"xpos": 20, "ypos": 12, "width": 5, "height": 5, "type": "exclude"},
            {"xpos": 0, "ypos": 40, "width": 60, "height": 20, "type": "ocr"}],
            "tags": ["login"], "properties": []})")
            << QString() << 3;
        QTest::newRow("type left out is match") << QByteArray(R"({"area": [{"xpos": 0, "ypos": 0,
            "width": 8, "height": 8}]})") << QString()
                                                << 1;
        QTest::newRow("not JSON") << QByteArray("{area: [") << QStringLiteral("is not JSON") << 0;
        QTest::newRow("an array") << QByteArray("[]") << QStringLiteral("must hold a JSON object")
                                  << 0;
        QTest::newRow("no area") << QByteArray(R"({"tags": []})")
                                 << QStringLiteral("has no 'area' array") << 0;
        QTest::newRow("empty area")
            << QByteArray(R"({"area": []})") << QStringLiteral("has no 'area' array") << 0;
        QTest::newRow("no xpos") << QByteArray(
            R"({"area": [{"ypos": 0, "width": 8, "height": 8}]})")
                                 << QStringLiteral("area 1 has no 'xpos'") << 0;
        QTest::newRow("text width")
            << QByteArray(R"({"area": [{"xpos": 0, "ypos": 0, "width": "8", "height": 8}]})")
            << QStringLiteral("area 1: 'width' must be a whole number from 1") << 0;
        QTest::newRow("zero height")
            << QByteArray(R"({"area": [{"xpos": 0, "ypos": 0, "width": 8, "height": 0}]})")
            << QStringLiteral("'height' must be a whole number from 1") << 0;
        QTest::newRow("match 101")
            << QByteArray("{\"area\": [" + areaJson(QRect(0, 0, 8, 8), ", \"match\": 101") + "]}")
            << QStringLiteral("'match' must be a whole number from 1 to 100") << 0;
        QTest::newRow("bad type")
            << QByteArray(
                   R"({"area": [{"xpos": 0, "ypos": 0, "width": 8, "height": 8, "type": "glob"}]})")
            << QStringLiteral("'type' must be \"match\", \"ocr\" or \"exclude\", not \"glob\"")
            << 0;
        QTest::newRow("outside the image")
            << QByteArray("{\"area\": [" + areaJson(QRect(90, 10, 50, 20)) + "]}")
            << QStringLiteral("area 1 (90, 10, 50x20) is outside the needle's 100x80 image") << 0;
        QTest::newRow("only exclude") << QByteArray(
            R"({"area": [{"xpos": 0, "ypos": 0, "width": 8, "height": 8, "type": "exclude"}]})")
                                      << QStringLiteral("has no area of type \"match\"") << 0;
        QTest::newRow("bad click") << QByteArray(
            "{\"area\": [" + areaJson(QRect(0, 0, 8, 8), ", \"click_point\": 3") + "]}")
                                   << QStringLiteral("'click_point' must be") << 0;
        Q_UNUSED(good);
    }

    void needleFiles()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, error);
        QFETCH(int, areas);
        try {
            QStringList tags;
            const QList<NeedleArea> parsed
                = parseNeedleAreas(json, QStringLiteral("n.json"), QSize(100, 80), &tags);
            QVERIFY2(error.isEmpty(), "a bad needle was accepted");
            QCOMPARE(parsed.size(), areas);
            if (areas == 3) {
                QCOMPARE(parsed.at(0).match, 90);
                QCOMPARE(parsed.at(0).margin, 20);
                QCOMPARE(parsed.at(0).clickPoint, std::optional<QPoint>(QPoint(5, 6)));
                QCOMPARE(parsed.at(1).type, NeedleArea::Type::Exclude);
                QCOMPARE(parsed.at(2).type, NeedleArea::Type::Ocr);
                QCOMPARE(tags, QStringList { QStringLiteral("login") });
            } else {
                QCOMPARE(parsed.at(0).match, 96);
                QCOMPARE(parsed.at(0).margin, 50);
            }
        } catch (const ScreenError &e) {
            QVERIFY2(!error.isEmpty(), qPrintable(e.message()));
            QVERIFY2(e.message().contains(error), qPrintable(e.message()));
            QVERIFY2(
                e.message().startsWith(QStringLiteral("needle n.json")), qPrintable(e.message()));
        }
    }

    void aMissingImageIsNamed()
    {
        QTemporaryDir dir;
        QFile json(dir.filePath(QStringLiteral("lonely.json")));
        QVERIFY(json.open(QIODevice::WriteOnly));
        json.write("{\"area\": [" + areaJson(QRect(0, 0, 8, 8)) + "]}");
        json.close();
        try {
            loadNeedle(json.fileName());
            QFAIL("a needle without its PNG loaded");
        } catch (const ScreenError &e) {
            QVERIFY2(e.message().contains(QStringLiteral("names the image ")
                         + dir.filePath(QStringLiteral("lonely.png"))
                         + QStringLiteral(", which does not exist")),
                qPrintable(e.message()));
        }
    }

    void aNeedleMatchesWhereItMovedWithinItsMargin()
    {
        const QImage screen = xtermScreen();
        QTemporaryDir dir;
        const QRect title(250, 130, 215, 16); // "echo hello vivarium"
        const QString file = writeNeedle(dir, QStringLiteral("echo"), screen,
            "{\"area\": [" + areaJson(title, ", \"click_point\": {\"xpos\": 3, \"ypos\": 4}")
                + "]}");
        const Needle needle = loadNeedle(file);
        const NeedleMatch same = matchNeedle(needle, screen);
        QVERIFY(same.ok());
        QCOMPARE(same.areas.first().found, title);
        QCOMPARE(same.click, title.topLeft() + QPoint(3, 4));
        QVERIFY(same.worst() > 0.999);

        // The whole screen 30 px right and 20 px down: within the margin of 50.
        QImage moved(screen.size(), screen.format());
        moved.fill(Qt::black);
        QPainter(&moved).drawImage(30, 20, screen);
        const NeedleMatch shifted = matchNeedle(needle, moved);
        QVERIFY(shifted.ok());
        QCOMPARE(shifted.areas.first().found.topLeft(), title.topLeft() + QPoint(30, 20));
        QCOMPARE(shifted.click, title.topLeft() + QPoint(33, 24));

        // 80 px away is beyond it.
        moved.fill(Qt::black);
        QPainter(&moved).drawImage(80, 0, screen);
        const NeedleMatch far = matchNeedle(needle, moved);
        QVERIFY(!far.ok());
        QVERIFY(far.summary().startsWith(QStringLiteral("area 1 (250, 130, 215x16): best ")));
    }

    void aChangedAreaDoesNotMatchUnlessExcluded()
    {
        const QImage screen = xtermScreen();
        QImage changed = screen;
        {
            QPainter painter(&changed);
            painter.fillRect(QRect(300, 130, 40, 16), Qt::black);
        }
        QTemporaryDir dir;
        const QRect area(250, 130, 215, 16);
        const Needle plain = loadNeedle(writeNeedle(
            dir, QStringLiteral("plain"), screen, "{\"area\": [" + areaJson(area) + "]}"));
        const NeedleMatch mismatch = matchNeedle(plain, changed);
        QVERIFY(!mismatch.ok());
        QVERIFY(mismatch.worst() < 0.9);
        // A lower threshold given by the caller accepts it.
        QVERIFY(matchNeedle(plain, changed, mismatch.worst() - 0.01).ok());
        const Needle excluding = loadNeedle(writeNeedle(dir, QStringLiteral("excluding"), screen,
            "{\"area\": [" + areaJson(area)
                + R"(, {"xpos": 295, "ypos": 128, "width": 50, "height": 20, "type": "exclude"}]})"));
        QVERIFY(matchNeedle(excluding, changed).ok());

        const QImage diff = needleDiffImage(plain, changed, mismatch);
        QCOMPARE(diff.size(), screen.size());
        // Red where the needle and the screen differ at the best place found.
        const QRect found = mismatch.areas.first().found;
        int red = 0;
        for (int y = found.top() + 3; y < found.bottom() - 3; ++y) {
            for (int x = found.left() + 3; x < found.right() - 3; ++x)
                red += diff.pixel(x, y) == qRgb(255, 0, 0) ? 1 : 0;
        }
        QVERIFY2(red > 5, "the diff image does not show the changed pixels");
    }

    void aBarePngIsLookedForAnywhere()
    {
        const QImage screen = xtermScreen();
        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("icon.png"));
        screen.copy(QRect(104, 152, 160, 18)).save(png); // "hello vivarium"
        const NeedleMatch match = matchNeedle(loadNeedle(png), screen);
        QVERIFY(match.ok());
        QCOMPARE(match.areas.first().found.topLeft(), QPoint(104, 152));
    }

    void aSavedNeedleMatchesItsScreen()
    {
        const QImage screen = xtermScreen();
        QTemporaryDir dir;
        const QString json = dir.filePath(QStringLiteral("needles/hello.json"));
        QCOMPARE(saveNeedle(screen, QRect(104, 150, 170, 22), json, { QStringLiteral("hello") }),
            QString());
        const Needle needle = loadNeedle(json);
        QCOMPARE(needle.tags, QStringList { QStringLiteral("hello") });
        QCOMPARE(needle.areas.first().match, 96);
        QVERIFY(matchNeedle(needle, screen).ok());
        QVERIFY(saveNeedle(screen, QRect(1000, 700, 100, 100), json)
                    .startsWith(QStringLiteral("the area (1000, 700, 100x100) is not inside")));
    }

    void anAreaOffTheScreenIsRefused()
    {
        const QImage screen = xtermScreen();
        QTemporaryDir dir;
        QImage big(1200, 900, QImage::Format_RGB32);
        big.fill(Qt::white);
        const Needle needle = loadNeedle(writeNeedle(dir, QStringLiteral("big"), big,
            "{\"area\": [" + areaJson(QRect(1000, 800, 100, 50)) + "]}"));
        try {
            matchNeedle(needle, screen);
            QFAIL("an area off the screen was matched");
        } catch (const ScreenError &e) {
            QVERIFY2(e.message().endsWith(
                         QStringLiteral("area (1000, 800, 100x50) is outside the 1024x768 screen")),
                qPrintable(e.message()));
        }
    }
};

QTEST_MAIN(TestScreen)
#include "tst_screen.moc"
