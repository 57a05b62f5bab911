// The call journal a rewound run replays (docs/workbench.md, "Checkpoints"): which checkpoint a
// run that went another way goes back to, and snapshot names that never repeat across runs.
#include "core/script/calljournal.h"

#include <QTest>

using namespace vivarium;

class TestCallJournal : public QObject {
    Q_OBJECT

private:
    static JournalEntry call(const QString &key)
    {
        JournalEntry e;
        e.function = QStringLiteral("call");
        e.key = key;
        return e;
    }

private slots:
    void entriesComeBackInOrder()
    {
        CallJournal journal;
        QCOMPARE(journal.size(), 0);
        QVERIFY(!journal.entry(0));
        journal.append(call("('a', 'start')"));
        journal.append(call("('a', 'succeed', 'true', 900.0)"));
        QCOMPARE(journal.size(), 2);
        QCOMPARE(journal.entry(1)->key, QString("('a', 'succeed', 'true', 900.0)"));
        QVERIFY(!journal.entry(2));
        QVERIFY(!journal.entry(-1));
    }

    // A divergence at call i goes back to the last checkpoint strictly before i: the one at i
    // itself is the call that differs.
    void theCheckpointBeforeADivergence()
    {
        CallJournal journal;
        QVERIFY(!journal.lastCheckpointBefore(10));
        journal.addCheckpoint({ 3, "setup", "checkpoint-1", "t.py", 4, { "a" } });
        journal.addCheckpoint({ 7, "work", "checkpoint-2", "t.py", 9, { "a" } });
        QVERIFY(!journal.lastCheckpointBefore(3));
        QCOMPARE(journal.lastCheckpointBefore(4)->label, QString("setup"));
        QCOMPARE(journal.lastCheckpointBefore(7)->label, QString("setup"));
        QCOMPARE(journal.lastCheckpointBefore(8)->label, QString("work"));
        QCOMPARE(journal.checkpointAt(7)->snapshot, QString("checkpoint-2"));
        QVERIFY(!journal.checkpointAt(5));
    }

    // A later run on the same machines names its checkpoints on from the last one's.
    void snapshotNamesGoOn()
    {
        CallJournal first;
        QCOMPARE(first.takeCheckpointNumber(), 1);
        QCOMPARE(first.takeCheckpointNumber(), 2);
        CallJournal second;
        second.setNextCheckpointNumber(first.nextCheckpointNumber());
        QCOMPARE(second.takeCheckpointNumber(), 3);
    }

    void aRefusalIsSaidOnce()
    {
        CallJournal journal;
        QVERIFY(journal.firstRefusal());
        QVERIFY(!journal.firstRefusal());
    }
};

QTEST_MAIN(TestCallJournal)
#include "tst_calljournal.moc"
