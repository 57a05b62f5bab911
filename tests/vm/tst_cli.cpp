// vivarium-test end to end, as a user runs it: the demo, a failing line, a Python error, a bad
// test file, the global timeout and the interactive prompt, with their exit codes and reports.
#include "vmtestutil.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

class TestCli : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    struct Run {
        int exitCode = -1;
        QString out; // stdout and stderr
    };

    Run vivariumTest(const QStringList &arguments, const QByteArray &input = {}, int timeoutS = 300)
    {
        QProcess process;
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(
            QCoreApplication::applicationDirPath() + "/../../app/vivarium-test", arguments);
        if (!process.waitForStarted())
            qFatal("cannot start vivarium-test");
        if (!input.isEmpty())
            process.write(input);
        process.closeWriteChannel();
        if (!process.waitForFinished(timeoutS * 1000))
            qFatal("vivarium-test did not finish");
        return { process.exitCode(), QString::fromUtf8(process.readAll()) };
    }

    QString writeTest(const QString &name, const QByteArray &toml, const QByteArray &script)
    {
        writeTestFile(m_dir.filePath(name + ".py"), script);
        writeTestFile(
            m_dir.filePath(name + ".toml"), "script = \"" + name.toUtf8() + ".py\"\n" + toml);
        return m_dir.filePath(name + ".toml");
    }

    static QByteArray readAll(const QString &path)
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

private slots:
    void demoPasses()
    {
        const QString out = testOutputDir("cli-demo");
        const Run run = vivariumTest({ "-o", out, "--junit-xml", m_dir.filePath("demo-junit.xml"),
            QString(VIVARIUM_SOURCE_DIR) + "/resources/demo/demo.toml" });
        QVERIFY2(run.exitCode == 0, qPrintable(run.out));
        QVERIFY(run.out.contains("demo passed in"));
        const QByteArray junit = readAll(m_dir.filePath("demo-junit.xml"));
        QCOMPARE(junit.count("<testcase "), 5);
        QVERIFY(junit.contains("failures=\"0\""));
        const QByteArray html = readAll(out + "/log.html");
        QVERIFY(html.contains("<span class=\"passed\">passed</span>"));
        QVERIFY(html.contains("data:image/png;base64,")); // the screenshot, inline
        QVERIFY(html.contains("client.screenshot("));
        int events = 0;
        for (const QByteArray &line : readAll(out + "/events.jsonl").split('\n')) {
            if (line.isEmpty())
                continue;
            const QJsonObject event = QJsonDocument::fromJson(line).object();
            QVERIFY2(event.contains("type") && event.contains("t"), line.constData());
            ++events;
        }
        QVERIFY(events > 50);
    }

    void failingLineIsNamedEverywhere()
    {
        const QString out = testOutputDir("cli-failing");
        const QString test = writeTest("failing", "[machines.idle]\n",
            "start_all()\nidle.succeed('true')\nidle.succeed('echo reason >&2; exit 5')\n"
            "idle.succeed('true')\n");
        const Run run = vivariumTest({ "-o", out, test });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.out.contains("failing.py:3: machine idle: command `echo reason >&2; exit 5` "
                                  "failed (exit code 5)"),
            qPrintable(run.out));
        QVERIFY(run.out.contains("stderr: reason"));
        const QByteArray junit = readAll(out + "/junit.xml");
        QVERIFY(junit.contains("failures=\"1\""));
        QVERIFY2(junit.contains("failing.py:3)"), junit.constData());
        const QByteArray html = readAll(out + "/log.html");
        QVERIFY(html.contains("id=\"line-3\" data-line=\"3\" class=\"failing\""));
        QVERIFY(!html.contains("id=\"line-2\" data-line=\"2\" class=\"failing\""));
    }

    void pythonErrorShowsItsTraceback()
    {
        const QString test = writeTest("pyerror", "[machines.idle]\n",
            "def broken():\n    return {}['missing']\n\nbroken()\n");
        const Run run = vivariumTest({ "-o", testOutputDir("cli-pyerror"), test });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.out.contains("Traceback (most recent call last):"), qPrintable(run.out));
        QVERIFY(run.out.contains("pyerror.py:2: KeyError: 'missing'"));
        QVERIFY(run.out.contains("line 4, in <module>"));
    }

    void badTestFileSaysWhere()
    {
        writeTestFile(m_dir.filePath("bad.toml"), "[machines.a]\nmemory = \"lots\"\n");
        const Run run = vivariumTest({ m_dir.filePath("bad.toml") });
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(QRegularExpression("bad\\.toml:2:\\d+: 'memory' must be an integer")
                     .match(run.out)
                     .hasMatch(),
            qPrintable(run.out));
        const Run usage = vivariumTest({ "--accel", "fast", m_dir.filePath("bad.toml") });
        QCOMPARE(usage.exitCode, 2);
        const Run timeout
            = vivariumTest({ "--global-timeout", "soon", m_dir.filePath("bad.toml") });
        QCOMPARE(timeout.exitCode, 2);
    }

    void globalTimeoutEndsTheRun()
    {
        const QString test = writeTest(
            "slow", "[machines.idle]\n", "start_all()\nidle.wait_until_succeeds('false')\n");
        QElapsedTimer clock;
        clock.start();
        const Run run
            = vivariumTest({ "-o", testOutputDir("cli-slow"), "--global-timeout", "8", test });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.out.contains("TIMED OUT")
                && run.out.contains("the global timeout of 8 s was reached at "),
            qPrintable(run.out));
        QVERIFY(clock.elapsed() < 30000);
    }

    void interactivePromptTakesPipedCommands()
    {
        const QString test
            = writeTest("repl", "[machines.idle]\n", "raise SystemExit('not run')\n");
        const Run run = vivariumTest({ "-o", testOutputDir("cli-repl"), "--interactive", test },
            "print('machines:', len(machines))\n"
            "idle.start()\n"
            "print(idle.succeed('echo hi-from-$((40+2))').strip())\n");
        QVERIFY2(run.exitCode == 0, qPrintable(run.out));
        QVERIFY2(run.out.contains("machines: 1"), qPrintable(run.out));
        QVERIFY(run.out.contains("hi-from-42"));
        QVERIFY(!run.out.contains("not run"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
