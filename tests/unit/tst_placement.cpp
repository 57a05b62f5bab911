// --hosts placement (core/remote/placement.h): machines over hosts by memory, largest first,
// cores as the tie-break; a machine's own host counted first; what cannot fit named.
#include "core/remote/placement.h"

#include <QTemporaryDir>
#include <QTest>

using namespace vivarium;

namespace {

MachineSpec machine(const char *name, int memory, int cpus = 1, const char *host = "")
{
    MachineSpec m;
    m.name = QString::fromLatin1(name);
    m.memoryMiB = memory;
    m.cpus = cpus;
    m.host = QString::fromLatin1(host);
    return m;
}

} // namespace

class TestPlacement : public QObject {
    Q_OBJECT

private slots:
    void machinesGoWhereMostMemoryIsLeft()
    {
        QString error;
        const auto placement = placeMachines({ machine("a", 1024), machine("b", 2048),
                                                 machine("c", 512), machine("d", 512, 1, "h1") },
            { { "local", 3000, 2 }, { "h1", 3000, 8 } }, &error);
        QVERIFY2(placement, qPrintable(error));
        // d is fixed on h1 (2488 left there); b, the largest, goes local (3000 > 2488); then a
        // to h1 (2488 > 952), then c to h1 (1464 > 952).
        QCOMPARE(placement->hostOf.value("d"), QString("h1"));
        QCOMPARE(placement->hostOf.value("b"), QString("local"));
        QCOMPARE(placement->hostOf.value("a"), QString("h1"));
        QCOMPARE(placement->hostOf.value("c"), QString("h1"));
        QCOMPARE(placement->lines,
            QStringList({ "local: b (2048 of 3000 MiB, 1 of 2 cores)",
                "h1: d, a, c (2048 of 3000 MiB, 3 of 8 cores)" }));
    }

    void equalMemoryGoesToTheHostWithFewerCoresTaken()
    {
        QString error;
        const auto placement = placeMachines({ machine("a", 100, 4), machine("b", 100, 1) },
            { { "local", 1000, 8 }, { "h1", 900, 8 } }, &error);
        QVERIFY2(placement, qPrintable(error));
        QCOMPARE(placement->hostOf.value("a"), QString("local")); // 1000 left against 900
        QCOMPARE(placement->hostOf.value("b"), QString("h1")); // 900 against 900: fewer cores
    }

    // A container shares this host's kernel: placement keeps it here, and counts it here.
    void aContainerStaysOnThisHost()
    {
        MachineSpec box = machine("box", 512);
        box.kind = MachineKind::Container;
        QString error;
        const auto placement = placeMachines(
            { box, machine("vm", 512) }, { { "local", 600, 2 }, { "h1", 4000, 8 } }, &error);
        QVERIFY2(placement, qPrintable(error));
        QCOMPARE(placement->hostOf.value("box"), QString("local"));
        QCOMPARE(placement->hostOf.value("vm"), QString("h1"));
    }

    void whatDoesNotFitIsNamed()
    {
        QString error;
        QVERIFY(!placeMachines({ machine("big", 4096), machine("small", 64) },
            { { "local", 2000, 2 }, { "h1", 3000, 2 } }, &error));
        QCOMPARE(error,
            QString("machine 'big' needs 4096 MiB, more than any host has left (local 2000 MiB, "
                    "h1 3000 MiB)"));
        QVERIFY(!placeMachines({ machine("a", 64, 1, "h7") }, { { "local", 2000, 2 } }, &error));
        QVERIFY2(error.contains("h7"), qPrintable(error));
    }

    // The file's hosts join the test's, each machine gets its host, and bad files say where.
    void aHostsFilePlacesTheTest()
    {
        QTemporaryDir dir;
        const auto write = [&](const QByteArray &text) {
            QFile file(dir.filePath("hosts.toml"));
            file.open(QIODevice::WriteOnly);
            file.write(text);
        };
        write("[hosts.big]\nssh = \"root@10.0.0.9\"\nmemory = 8192\ncpus = 16\n");
        TestSpec spec;
        spec.machines = { machine("a", 2048), machine("b", 256) };
        QStringList lines, errors;
        QVERIFY2(
            applyHostsFile(dir.filePath("hosts.toml"), { "local", 1024, 2 }, spec, &lines, &errors),
            qPrintable(errors.join('\n')));
        QCOMPARE(spec.hosts.keys(), QStringList { "big" });
        QCOMPARE(spec.machines.at(0).host, QString("big"));
        QCOMPARE(spec.machines.at(1).host, QString("big")); // 6144 left there against 1024
        QCOMPARE(lines.size(), 1);
        // A VM placed on another host boots from the root image there (not that host's root).
        QCOMPARE(spec.machines.at(0).root, RootKind::Image);

        write("[hosts.big]\nssh = \"root@10.0.0.9\"\n");
        TestSpec again;
        again.machines = { machine("a", 64) };
        errors.clear();
        QVERIFY(!applyHostsFile(
            dir.filePath("hosts.toml"), { "local", 1024, 2 }, again, &lines, &errors));
        QVERIFY2(errors.join('\n').contains("host 'big' needs memory and cpus"),
            qPrintable(errors.join('\n')));
        QVERIFY2(errors.join('\n').contains("hosts.toml:1:"), qPrintable(errors.join('\n')));

        write("[hosts.big\n");
        errors.clear();
        QVERIFY(!applyHostsFile(
            dir.filePath("hosts.toml"), { "local", 1024, 2 }, again, &lines, &errors));
        QVERIFY2(errors.join('\n').contains("hosts.toml:"), qPrintable(errors.join('\n')));
        errors.clear();
        QVERIFY(!applyHostsFile(
            dir.filePath("none.toml"), { "local", 1024, 2 }, again, &lines, &errors));
        QVERIFY2(errors.join('\n').contains("cannot read the hosts file"),
            qPrintable(errors.join('\n')));
    }
};

QTEST_MAIN(TestPlacement)
#include "tst_placement.moc"
