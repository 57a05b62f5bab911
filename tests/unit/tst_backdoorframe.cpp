#include "core/machine/backdoorframe.h"

#include <QTest>

using namespace vivarium;

class TestBackdoorFrame : public QObject {
    Q_OBJECT

private slots:
    void encodeLayout()
    {
        const QByteArray bytes
            = BackdoorFrame { BackdoorFrame::Command, 0x01020304, "true" }.encode();
        QCOMPARE(bytes.size(), BackdoorFrame::headerSize + 4);
        QCOMPARE(bytes.left(3), QByteArray("VVC"));
        QCOMPARE(bytes.mid(4, 4), QByteArray("\x04\x03\x02\x01", 4));
        QCOMPARE(bytes.mid(8, 4), QByteArray("\x04\x00\x00\x00", 4));
        QCOMPARE(bytes.mid(12), QByteArray("true"));
    }

    void roundTripSplitAnywhere_data()
    {
        QTest::addColumn<int>("chunk");
        for (int chunk : { 1, 3, 5, 11, 12, 13, 4096 })
            QTest::addRow("%d", chunk) << chunk;
    }

    void roundTripSplitAnywhere()
    {
        QFETCH(int, chunk);
        QByteArray binary;
        for (int i = 0; i < 256; ++i)
            binary.append(char(i));
        binary += QByteArray("VV\x00VVX", 6); // the magic inside a payload is just data
        QByteArray stream = BackdoorFrame { BackdoorFrame::Ready, 0, "vivarium-agent 1" }.encode();
        stream += BackdoorFrame { BackdoorFrame::Stdout, 9, binary }.encode();
        stream += BackdoorFrame { BackdoorFrame::Stderr, 9, "oops\n" }.encode();
        stream += BackdoorFrame { BackdoorFrame::Exit, 9, BackdoorFrame::encodeExit(-3) }.encode();
        BackdoorDecoder decoder;
        QList<BackdoorFrame> frames;
        for (qsizetype i = 0; i < stream.size(); i += chunk)
            frames += decoder.feed(stream.mid(i, chunk));
        QCOMPARE(frames.size(), 4);
        QCOMPARE(frames[0].type, char(BackdoorFrame::Ready));
        QCOMPARE(frames[1].payload, binary);
        QCOMPARE(frames[1].id, quint32(9));
        QCOMPARE(frames[2].type, char(BackdoorFrame::Stderr));
        QCOMPARE(frames[3].exitStatus(), -3);
        QCOMPARE(decoder.skippedBytes(), 0);
    }

    void resynchronisesAfterGarbage()
    {
        BackdoorDecoder decoder;
        QByteArray stream = "login: \r\nV";
        stream += "VVZ"; // an unknown type after a magic is skipped too
        stream += BackdoorFrame { BackdoorFrame::Exit, 1, BackdoorFrame::encodeExit(0) }.encode();
        const QList<BackdoorFrame> frames = decoder.feed(stream);
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames[0].exitStatus(), 0);
        QVERIFY(decoder.skippedBytes() >= 10);
    }

    void rejectsOversizedLength()
    {
        QByteArray bogus = BackdoorFrame { BackdoorFrame::Stdout, 1, {} }.encode();
        bogus[8] = '\xff';
        bogus[9] = '\xff';
        bogus[10] = '\xff';
        bogus[11] = '\x7f';
        BackdoorDecoder decoder;
        const QList<BackdoorFrame> frames = decoder.feed(bogus
            + BackdoorFrame { BackdoorFrame::Exit, 2, BackdoorFrame::encodeExit(1) }.encode());
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames[0].id, quint32(2));
    }

    void shortExitPayload()
    {
        QCOMPARE((BackdoorFrame { BackdoorFrame::Exit, 1, "x" }.exitStatus()), -1);
    }
};

QTEST_APPLESS_MAIN(TestBackdoorFrame)
#include "tst_backdoorframe.moc"
