// Screenshots: QEMU's PPM dumps are read without a general loader, and the PNG writer's files
// read back (through Qt's libpng reader, which checks every CRC) to exactly the same pixels.
#include "core/util/pngwriter.h"

#include <QPainter>
#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

namespace {

// Something like a console: a dark background, a coloured bar, text, and noise.
QImage sampleScreen(int width, int height)
{
    QImage image(width, height, QImage::Format_RGB888);
    image.fill(QColor(0x10, 0x10, 0x10));
    QPainter painter(&image);
    painter.fillRect(0, 0, width, 20, QColor(0x20, 0x80, 0xc0));
    painter.setPen(Qt::white);
    for (int y = 40; y < height; y += 16)
        painter.drawText(4, y, QStringLiteral("root@vm:/# echo line %1 — ünïcödé").arg(y));
    painter.end();
    for (int i = 0; i < 500; ++i)
        image.setPixel(
            (i * 7919) % width, (i * 104729) % height, qRgb(i % 256, i * 3 % 256, i * 7 % 256));
    return image;
}

QByteArray ppmOf(const QImage &rgb)
{
    QByteArray ppm = "P6\n" + QByteArray::number(rgb.width()) + ' '
        + QByteArray::number(rgb.height()) + "\n255\n";
    for (int y = 0; y < rgb.height(); ++y)
        ppm.append(reinterpret_cast<const char *>(rgb.constScanLine(y)), rgb.width() * 3);
    return ppm;
}

} // namespace

class TestPngWriter : public QObject {
    Q_OBJECT

private slots:
    void pngReadsBackToTheSamePixels_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1024x768") << QSize(1024, 768);
        QTest::newRow("720x400 text mode") << QSize(720, 400);
        QTest::newRow("odd 333x17") << QSize(333, 17);
        QTest::newRow("one pixel") << QSize(1, 1);
    }

    void pngReadsBackToTheSamePixels()
    {
        QFETCH(QSize, size);
        QTemporaryDir dir;
        const QImage screen = sampleScreen(size.width(), size.height());
        const QString path = dir.filePath("shot.png");
        QCOMPARE(writeScreenPng(screen, path), QString());
        QImage back;
        QVERIFY(back.load(path, "PNG"));
        QCOMPARE(back.size(), size);
        QCOMPARE(back.convertToFormat(QImage::Format_RGB888), screen);
    }

    void otherFormatsAreConverted()
    {
        QTemporaryDir dir;
        const QImage screen = sampleScreen(64, 48).convertToFormat(QImage::Format_RGB32);
        QCOMPARE(writeScreenPng(screen, dir.filePath("a.png")), QString());
        QImage back(dir.filePath("a.png"));
        QCOMPARE(back.convertToFormat(QImage::Format_RGB32), screen);
    }

    void unwritablePathSaysWhy()
    {
        QVERIFY(!writeScreenPng(sampleScreen(8, 8), "/nonexistent-dir/x.png").isEmpty());
    }

    void ppmIsRead()
    {
        const QImage screen = sampleScreen(100, 30);
        QCOMPARE(imageFromPpm(ppmOf(screen)), screen);
    }

    void badPpmIsNull_data()
    {
        QTest::addColumn<QByteArray>("ppm");
        const QByteArray good = ppmOf(sampleScreen(4, 2));
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("P3 text") << QByteArray("P3\n1 1\n255\n0 0 0\n");
        QTest::newRow("16 bits") << QByteArray("P6\n1 1\n65535\n") + QByteArray(6, '\0');
        QTest::newRow("truncated") << good.left(good.size() - 1);
        QTest::newRow("zero width") << QByteArray("P6\n0 1\n255\n");
        QTest::newRow("header only") << QByteArray("P6\n4 2\n");
    }

    void badPpmIsNull()
    {
        QFETCH(QByteArray, ppm);
        QVERIFY(imageFromPpm(ppm).isNull());
    }
};

QTEST_MAIN(TestPngWriter)
#include "tst_pngwriter.moc"
