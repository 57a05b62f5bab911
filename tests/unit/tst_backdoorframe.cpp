#include "core/machine/backdoorframe.h"

#include <QTest>
#include <QtEndian>
#include <zlib.h>

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
        // CRC-32 of the first 12 bytes and of "true" (zlib's; the agent computes its own).
        const quint32 headerCrc = qFromLittleEndian<quint32>(bytes.constData() + 12);
        QCOMPARE(
            headerCrc, quint32(crc32(0, reinterpret_cast<const Bytef *>(bytes.constData()), 12)));
        QCOMPARE(bytes.mid(16, 4), QByteArray("\x8d\x4c\xfc\xfd", 4)); // crc32("true")
        QCOMPARE(bytes.mid(20), QByteArray("true"));
    }

    // A frame whose flags byte is set (with its CRCs right) decodes to a frame that encodes
    // back to the same bytes: the decoder once dropped the byte (found by fuzz_backdoorframe).
    void flagsSurviveARoundTrip()
    {
        BackdoorFrame sent { BackdoorFrame::Stdout, 7, "hello" };
        sent.flags = 0x2a;
        const QByteArray bytes = sent.encode();
        QCOMPARE(bytes.at(3), char(0x2a));
        BackdoorDecoder decoder;
        const QList<BackdoorFrame> frames = decoder.feed(bytes);
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames.first().flags, char(0x2a));
        QCOMPARE(frames.first().encode(), bytes);
    }

    void roundTripSplitAnywhere_data()
    {
        QTest::addColumn<int>("chunk");
        for (int chunk : { 1, 3, 5, 11, 12, 13, 19, 20, 21, 4096 })
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
        stream
            += BackdoorFrame { BackdoorFrame::Exit, 9, BackdoorFrame::encodeExit(-3, 256 + 6, 5) }
                   .encode();
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
        QCOMPARE(frames[3].exitStdoutBytes(), 262);
        QCOMPARE(frames[3].exitStderrBytes(), 5);
        QCOMPARE(decoder.skippedBytes(), 0);
    }

    void resynchronisesAfterGarbage()
    {
        BackdoorDecoder decoder;
        QByteArray stream = "login: \r\nV";
        stream += "VVZ"; // an unknown type after a magic is skipped too
        stream += BackdoorFrame { BackdoorFrame::Exit, 1, BackdoorFrame::encodeExit(0, 0, 0) }
                      .encode();
        const QList<BackdoorFrame> frames = decoder.feed(stream);
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames[0].exitStatus(), 0);
        QVERIFY(decoder.skippedBytes() >= 10);
        QVERIFY(decoder.takeCorruption().contains("(the first: 6c 6f 67"));
        QCOMPARE(decoder.skippedBytes(), 0);
    }

    void forgedFramesAreNotFrames_data()
    {
        QTest::addColumn<QByteArray>("forged");
        // What a guest program wrote to the old console backdoor: 12 bytes that claimed a
        // 64 MiB payload and wedged it for good, and an exit frame without CRCs.
        QTest::newRow("old wedging header") << QByteArray("VVO\0\0\0\0\0\xff\xff\xff\x03", 12);
        QTest::newRow("old exit frame") << QByteArray("VVX\0\x01\0\0\0\x04\0\0\0\0\0\0\0", 16);
        QByteArray badPayload
            = BackdoorFrame { BackdoorFrame::Exit, 1, BackdoorFrame::encodeExit(0, 0, 0) }.encode();
        badPayload[badPayload.size() - 1] = '\x01'; // the payload's CRC no longer holds
        QTest::newRow("damaged payload") << badPayload;
        QByteArray badHeader = BackdoorFrame { BackdoorFrame::Stdout, 1, "x" }.encode();
        badHeader[4] = '\x02'; // another id: the header's CRC no longer holds
        QTest::newRow("damaged header") << badHeader;
    }

    void forgedFramesAreNotFrames()
    {
        QFETCH(QByteArray, forged);
        BackdoorDecoder decoder;
        QList<BackdoorFrame> frames = decoder.feed(forged);
        QVERIFY(frames.isEmpty());
        // The next good frame comes through at once: nothing waits for bytes a forged header
        // promised, and what was skipped is reported.
        frames = decoder.feed(
            BackdoorFrame { BackdoorFrame::Exit, 7, BackdoorFrame::encodeExit(3, 0, 0) }.encode());
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames[0].id, quint32(7));
        QCOMPARE(frames[0].exitStatus(), 3);
        QVERIFY(decoder.skippedBytes() > 0);
        QCOMPARE(decoder.pendingBytes(), 0);
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
            + BackdoorFrame { BackdoorFrame::Exit, 2, BackdoorFrame::encodeExit(1, 0, 0) }
                  .encode());
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
