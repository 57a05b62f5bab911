// Qt keys to the X keysyms VNC sends (data-driven).
#include "ui/screen/keysyms.h"

#include <QTest>

using namespace vivarium;

class TestKeysyms : public QObject {
    Q_OBJECT

private slots:
    void keysyms_data()
    {
        QTest::addColumn<int>("key");
        QTest::addColumn<QString>("text");
        QTest::addColumn<quint32>("keysym");
        QTest::newRow("a") << int(Qt::Key_A) << "a" << 0x61u;
        QTest::newRow("A (shift)") << int(Qt::Key_A) << "A" << 0x41u;
        QTest::newRow("ctrl-c") << int(Qt::Key_C) << "\x03" << 0x63u;
        QTest::newRow("digit") << int(Qt::Key_7) << "7" << 0x37u;
        QTest::newRow("pipe") << int(Qt::Key_Bar) << "|" << 0x7cu;
        QTest::newRow("e acute") << int(Qt::Key_Eacute) << "é" << 0xe9u;
        QTest::newRow("euro") << int(Qt::Key_unknown) << "€" << (0x01000000u | 0x20ac);
        QTest::newRow("space") << int(Qt::Key_Space) << " " << 0x20u;
        QTest::newRow("return") << int(Qt::Key_Return) << "\r" << 0xff0du;
        QTest::newRow("backspace") << int(Qt::Key_Backspace) << "\b" << 0xff08u;
        QTest::newRow("tab") << int(Qt::Key_Tab) << "\t" << 0xff09u;
        QTest::newRow("escape") << int(Qt::Key_Escape) << "\x1b" << 0xff1bu;
        QTest::newRow("delete") << int(Qt::Key_Delete) << "" << 0xffffu;
        QTest::newRow("left") << int(Qt::Key_Left) << "" << 0xff51u;
        QTest::newRow("page down") << int(Qt::Key_PageDown) << "" << 0xff56u;
        QTest::newRow("f1") << int(Qt::Key_F1) << "" << 0xffbeu;
        QTest::newRow("f12") << int(Qt::Key_F12) << "" << 0xffc9u;
        QTest::newRow("shift") << int(Qt::Key_Shift) << "" << 0xffe1u;
        QTest::newRow("control") << int(Qt::Key_Control) << "" << 0xffe3u;
        QTest::newRow("alt") << int(Qt::Key_Alt) << "" << 0xffe9u;
        QTest::newRow("nothing") << int(Qt::Key_unknown) << "" << 0u;
    }
    void keysyms()
    {
        QFETCH(int, key);
        QFETCH(QString, text);
        QFETCH(quint32, keysym);
        QCOMPARE(keysymFor(key, text), keysym);
    }
};

QTEST_GUILESS_MAIN(TestKeysyms)
#include "tst_keysyms.moc"
