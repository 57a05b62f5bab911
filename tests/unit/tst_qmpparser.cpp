#include "core/qemu/qmpparser.h"

#include <QJsonDocument>
#include <QTest>

using namespace vivarium;

class TestQmpParser : public QObject {
    Q_OBJECT

private slots:
    void greetingReturnErrorEvent()
    {
        QmpParser parser;
        const QList<QmpMessage> messages = parser.feed(
            "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, \"capabilities\": []}}\r\n"
            "{\"return\": {}, \"id\": 1}\r\n"
            "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no such device\"}, \"id\": "
            "2}\r\n"
            "{\"timestamp\": {\"seconds\": 12, \"microseconds\": 345}, \"event\": \"RESET\", "
            "\"data\": {\"guest\": true}}\r\n");
        QVERIFY2(!parser.hasError(), qPrintable(parser.error()));
        QCOMPARE(messages.size(), 4);
        QCOMPARE(messages[0].kind, QmpMessage::Kind::Greeting);
        QCOMPARE(messages[0]
                     .result.toObject()
                     .value(QStringLiteral("version"))
                     .toObject()
                     .value(QStringLiteral("qemu"))
                     .toObject()
                     .value(QStringLiteral("major"))
                     .toInt(),
            7);
        QCOMPARE(messages[1].kind, QmpMessage::Kind::Return);
        QCOMPARE(messages[1].id.toInt(), 1);
        QCOMPARE(messages[2].kind, QmpMessage::Kind::Error);
        QCOMPARE(messages[2].id.toInt(), 2);
        QCOMPARE(messages[2].errorClass, QStringLiteral("GenericError"));
        QCOMPARE(messages[2].errorDesc, QStringLiteral("no such device"));
        QCOMPARE(messages[3].kind, QmpMessage::Kind::Event);
        QCOMPARE(messages[3].event, QStringLiteral("RESET"));
        QCOMPARE(messages[3].data.value(QStringLiteral("guest")).toBool(), true);
        QCOMPARE(messages[3].timestampUs, qint64(12000345));
    }

    void splitAcrossReads_data()
    {
        QTest::addColumn<int>("chunk");
        for (int chunk : { 1, 2, 3, 7, 16, 1000 })
            QTest::addRow("%d bytes at a time", chunk) << chunk;
    }

    void splitAcrossReads()
    {
        QFETCH(int, chunk);
        const QByteArray stream = "{\"return\": {\"status\": \"running\"}, \"id\": 7}\n"
                                  "{\"event\": \"STOP\", \"data\": {}, \"timestamp\": "
                                  "{\"seconds\": 1, \"microseconds\": 2}}\n";
        QmpParser parser;
        QList<QmpMessage> messages;
        for (qsizetype i = 0; i < stream.size(); i += chunk)
            messages += parser.feed(stream.mid(i, chunk));
        QVERIFY(!parser.hasError());
        QCOMPARE(messages.size(), 2);
        QCOMPARE(messages[0].result.toObject().value(QStringLiteral("status")).toString(),
            QStringLiteral("running"));
        QCOMPARE(messages[0].id.toInt(), 7);
        QCOMPARE(messages[1].event, QStringLiteral("STOP"));
    }

    void outlandishTimestampsAreNoTimestamps_data()
    {
        QTest::addColumn<QByteArray>("timestamp");
        // Found by fuzz_qmpparser: 2.2e27 seconds made the conversion to qint64 undefined.
        QTest::newRow("beyond qint64")
            << QByteArray("{\"seconds\": 2.22222e27, \"microseconds\": 1}");
        QTest::newRow("negative") << QByteArray("{\"seconds\": -5, \"microseconds\": 1}");
        QTest::newRow("fraction") << QByteArray("{\"seconds\": 1.5, \"microseconds\": 1}");
        QTest::newRow("micros too big") << QByteArray("{\"seconds\": 1, \"microseconds\": 1e7}");
        QTest::newRow("strings") << QByteArray("{\"seconds\": \"1\", \"microseconds\": \"2\"}");
    }

    void outlandishTimestampsAreNoTimestamps()
    {
        QFETCH(QByteArray, timestamp);
        QmpParser parser;
        const QList<QmpMessage> messages
            = parser.feed("{\"event\": \"STOP\", \"timestamp\": " + timestamp + "}\n");
        QCOMPARE(messages.size(), 1);
        QCOMPARE(messages[0].event, QStringLiteral("STOP"));
        QCOMPARE(messages[0].timestampUs, qint64(0));
    }

    void malformed_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not json") << QByteArray("{\"return\": \n")
                                  << QStringLiteral("malformed QMP message");
        QTest::newRow("array") << QByteArray("[1, 2]\n") << QStringLiteral("not a JSON object");
        QTest::newRow("unknown object")
            << QByteArray("{\"hello\": 1}\n") << QStringLiteral("unknown QMP message");
        QTest::newRow("event without name")
            << QByteArray("{\"event\": 3}\n") << QStringLiteral("unknown QMP message");
    }

    void malformed()
    {
        QFETCH(QByteArray, input);
        QFETCH(QString, expected);
        QmpParser parser;
        const QList<QmpMessage> before = parser.feed("{\"return\": {}, \"id\": 1}\n");
        QCOMPARE(before.size(), 1);
        const QList<QmpMessage> after = parser.feed(input + "{\"return\": {}, \"id\": 2}\n");
        QVERIFY(parser.hasError());
        QVERIFY2(parser.error().contains(expected), qPrintable(parser.error()));
        QVERIFY(after.isEmpty());
        // Nothing after a broken message is trusted.
        QVERIFY(parser.feed("{\"return\": {}, \"id\": 3}\n").isEmpty());
    }

    void oversizedLine()
    {
        QmpParser parser;
        const QByteArray chunk(1024 * 1024, 'x');
        for (int i = 0; i <= QmpParser::maxLineBytes / chunk.size(); ++i)
            parser.feed(chunk);
        QVERIFY(parser.hasError());
        QVERIFY(parser.error().contains(QStringLiteral("longer than")));
    }

    void commandEncoding()
    {
        const QByteArray bytes = QmpParser::command(QStringLiteral("human-monitor-command"),
            { { QStringLiteral("command-line"), QStringLiteral("info status") } }, 42);
        QVERIFY(bytes.endsWith('\n'));
        const QJsonObject object = QJsonDocument::fromJson(bytes).object();
        QCOMPARE(object.value(QStringLiteral("execute")).toString(),
            QStringLiteral("human-monitor-command"));
        QCOMPARE(object.value(QStringLiteral("id")).toInt(), 42);
        QCOMPARE(object.value(QStringLiteral("arguments"))
                     .toObject()
                     .value(QStringLiteral("command-line"))
                     .toString(),
            QStringLiteral("info status"));
        QVERIFY(!QmpParser::command(QStringLiteral("cont"), {}, 1).contains("arguments"));
    }
};

QTEST_APPLESS_MAIN(TestQmpParser)
#include "tst_qmpparser.moc"
