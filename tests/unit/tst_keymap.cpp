#include "core/qemu/keymap.h"

#include <QTest>

using namespace vivarium;

class TestKeymap : public QObject {
    Q_OBJECT

private slots:
    void combos_data()
    {
        QTest::addColumn<QString>("combo");
        QTest::addColumn<QStringList>("qcodes");
        QTest::newRow("ctrl-alt-delete")
            << "ctrl-alt-delete" << QStringList { "ctrl", "alt", "delete" };
        QTest::newRow("alt-f2") << "alt-f2" << QStringList { "alt", "f2" };
        QTest::newRow("ret") << "ret" << QStringList { "ret" };
        QTest::newRow("enter alias") << "enter" << QStringList { "ret" };
        QTest::newRow("shift-a") << "shift-a" << QStringList { "shift", "a" };
        QTest::newRow("upper case") << "CTRL-C" << QStringList { "ctrl", "c" };
        QTest::newRow("minus") << "ctrl-minus" << QStringList { "ctrl", "minus" };
        QTest::newRow("esc alias") << "escape" << QStringList { "esc" };
        QTest::newRow("ctrl-alt-f1") << "ctrl-alt-f1" << QStringList { "ctrl", "alt", "f1" };
    }

    void combos()
    {
        QFETCH(QString, combo);
        QFETCH(QStringList, qcodes);
        QString error;
        const auto result = keymap::qcodesForCombo(combo, &error);
        QVERIFY2(result.has_value(), qPrintable(error));
        QCOMPARE(*result, qcodes);
    }

    void unknownKeys_data()
    {
        QTest::addColumn<QString>("combo");
        QTest::addColumn<QString>("bad");
        QTest::newRow("typo") << "ctrl-alt-delet"
                              << "delet";
        QTest::newRow("empty part") << "ctrl-"
                                    << "";
        QTest::newRow("word") << "hello"
                              << "hello";
    }

    void unknownKeys()
    {
        QFETCH(QString, combo);
        QFETCH(QString, bad);
        QString error;
        QVERIFY(!keymap::qcodesForCombo(combo, &error).has_value());
        QVERIFY2(error.contains(QStringLiteral("'%1'").arg(bad)), qPrintable(error));
    }

    void characters_data()
    {
        QTest::addColumn<QChar>("character");
        QTest::addColumn<QString>("combo");
        QTest::newRow("a") << QChar('a') << "a";
        QTest::newRow("A") << QChar('A') << "shift-a";
        QTest::newRow("newline") << QChar('\n') << "ret";
        QTest::newRow("space") << QChar(' ') << "spc";
        QTest::newRow("!") << QChar('!') << "shift-1";
        QTest::newRow("-") << QChar('-') << "minus";
        QTest::newRow("_") << QChar('_') << "shift-minus";
        QTest::newRow("|") << QChar('|') << "shift-backslash";
        QTest::newRow("~") << QChar('~') << "shift-grave_accent";
        QTest::newRow("?") << QChar('?') << "shift-slash";
        QTest::newRow("0") << QChar('0') << "0";
    }

    void characters()
    {
        QFETCH(QChar, character);
        QFETCH(QString, combo);
        QCOMPARE(keymap::comboForChar(character), combo);
        QVERIFY(keymap::qcodesForCombo(combo).has_value());
    }

    void everyPrintableAsciiIsTypeable()
    {
        for (char c = 0x20; c < 0x7f; ++c)
            QVERIFY2(keymap::qcodesForCombo(keymap::comboForChar(QLatin1Char(c))).has_value(), &c);
        QVERIFY(keymap::comboForChar(QChar(0x00e9)).isEmpty());
    }
};

QTEST_APPLESS_MAIN(TestKeymap)
#include "tst_keymap.moc"
