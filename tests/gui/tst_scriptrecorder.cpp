// The recorder: key events, shell commands, serial selections and screenshots become script
// lines; the lines are valid Python, the regexes match what was selected, and the editor puts
// them at the cursor with the cursor line's indentation.
#include "ui/editor/scripteditor.h"
#include "ui/record/scriptrecorder.h"

#include <QApplication>
#include <QKeyEvent>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using namespace vivarium;

namespace {

// Types text as a keyboard would: one key event per character.
void typeText(ScriptRecorder &recorder, const QString &machine, const QString &text)
{
    for (const QChar c : text) {
        const bool upper = c.isUpper() || QStringLiteral("!\"#$%&()*+:<>?@^_{|}~").contains(c);
        const int key = c.isLetter() ? c.toUpper().unicode() : c.unicode();
        recorder.keyTyped(machine, key, QString(c), upper ? Qt::ShiftModifier : Qt::NoModifier);
    }
}

void press(ScriptRecorder &recorder, const QString &machine, int key,
    Qt::KeyboardModifiers modifiers = Qt::NoModifier, const QString &text = {})
{
    recorder.keyTyped(machine, key, text, modifiers);
}

QStringList linesOf(const QSignalSpy &spy)
{
    QStringList lines;
    for (const QList<QVariant> &arguments : spy)
        lines << arguments.at(0).toString();
    return lines;
}

// Runs Python over the given program; returns its exit status and output.
int python(const QString &program, QString *output)
{
    QProcess process;
    process.start(QStringLiteral("python3"), { QStringLiteral("-c"), program });
    process.waitForFinished(30000);
    *output = QString::fromUtf8(process.readAllStandardOutput() + process.readAllStandardError());
    return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

} // namespace

class TestScriptRecorder : public QObject {
    Q_OBJECT

private slots:
    void screenActionsBecomeLines()
    {
        ScriptRecorder recorder;
        QSignalSpy spy(&recorder, &ScriptRecorder::lineRecorded);
        recorder.mouseClicked(QStringLiteral("desk"), 10, 20, QStringLiteral("left")); // not on
        recorder.setRecording(true);
        typeText(recorder, QStringLiteral("desk"), QStringLiteral("ls"));
        recorder.mouseClicked(QStringLiteral("desk"), 700, 150, QStringLiteral("left"));
        recorder.mouseClicked(QStringLiteral("desk"), 5, 6, QStringLiteral("right"));
        recorder.windowWaited(QStringLiteral("desk"), QStringLiteral("xterm (1)"));
        recorder.textWaited(QStringLiteral("desk"), QStringLiteral("  omega  window?\n"));
        recorder.textWaited(QStringLiteral("desk"), QStringLiteral(" \n ")); // nothing read
        recorder.textWaited(QStringLiteral("desk"), QStringLiteral("two\nlines"));
        recorder.regionWaited(QStringLiteral("web-1"), QStringLiteral("needles/web-1-1200.json"));
        QCOMPARE(linesOf(spy),
            QStringList({ QStringLiteral(R"(desk.send_chars("ls"))"),
                QStringLiteral(R"(desk.mouse_click(700, 150))"),
                QStringLiteral(R"(desk.mouse_click(5, 6, "right"))"),
                QStringLiteral(R"(desk.wait_for_window("^xterm\\ \\(1\\)$"))"),
                QStringLiteral(R"(desk.wait_for_text("omega\\ window\\?"))"),
                QStringLiteral(R"(desk.wait_for_text("two\\s+lines"))"),
                QStringLiteral(R"(web_1.wait_for_screen("needles/web-1-1200.json"))") }));
    }

    void typedTextIsCoalesced()
    {
        ScriptRecorder recorder;
        QSignalSpy spy(&recorder, &ScriptRecorder::lineRecorded);
        recorder.setRecording(true);
        typeText(recorder, QStringLiteral("client"), QStringLiteral("echo Hello > /tmp/lx"));
        press(recorder, QStringLiteral("client"), Qt::Key_Backspace, {}, QStringLiteral("\b"));
        press(recorder, QStringLiteral("client"), Qt::Key_Backspace, {}, QStringLiteral("\b"));
        typeText(recorder, QStringLiteral("client"), QStringLiteral("rec"));
        QCOMPARE(spy.count(), 0); // still typing
        press(recorder, QStringLiteral("client"), Qt::Key_Return, {}, QStringLiteral("\r"));
        QCOMPARE(linesOf(spy),
            QStringList { QStringLiteral(R"(client.send_chars("echo Hello > /tmp/rec\n"))") });
    }

    void specialKeysBecomeSendKey()
    {
        ScriptRecorder recorder;
        QSignalSpy spy(&recorder, &ScriptRecorder::lineRecorded);
        recorder.setRecording(true);
        typeText(recorder, QStringLiteral("web-1"), QStringLiteral("abc"));
        press(recorder, QStringLiteral("web-1"), Qt::Key_Control, Qt::ControlModifier);
        press(
            recorder, QStringLiteral("web-1"), Qt::Key_Alt, Qt::ControlModifier | Qt::AltModifier);
        press(recorder, QStringLiteral("web-1"), Qt::Key_F2, Qt::ControlModifier | Qt::AltModifier);
        press(recorder, QStringLiteral("web-1"), Qt::Key_C, Qt::ControlModifier,
            QStringLiteral("\x03"));
        press(recorder, QStringLiteral("web-1"), Qt::Key_Up);
        press(recorder, QStringLiteral("web-1"), Qt::Key_Backtab, Qt::ShiftModifier);
        press(recorder, QStringLiteral("web-1"), Qt::Key_Exclam,
            Qt::ControlModifier | Qt::ShiftModifier, QStringLiteral("!"));
        press(recorder, QStringLiteral("web-1"), Qt::Key_Backspace); // nothing pending
        QCOMPARE(linesOf(spy),
            QStringList({ QStringLiteral(R"(web_1.send_chars("abc"))"),
                QStringLiteral(R"(web_1.send_key("ctrl-alt-f2"))"),
                QStringLiteral(R"(web_1.send_key("ctrl-c"))"),
                QStringLiteral(R"(web_1.send_key("up"))"),
                QStringLiteral(R"(web_1.send_key("shift-tab"))"),
                QStringLiteral(R"(web_1.send_key("ctrl-shift-1"))"),
                QStringLiteral(R"(web_1.send_key("backspace"))") }));
    }

    void anotherMachineOrEventFinishesTyping()
    {
        ScriptRecorder recorder;
        QSignalSpy spy(&recorder, &ScriptRecorder::lineRecorded);
        recorder.setRecording(true);
        typeText(recorder, QStringLiteral("a"), QStringLiteral("x"));
        typeText(recorder, QStringLiteral("b"), QStringLiteral("y"));
        recorder.shellCommand(QStringLiteral("b"), QStringLiteral("  uname -r  "), 0);
        recorder.shellCommand(QStringLiteral("b"), QStringLiteral("cat /tmp/nonexistent"), 1);
        recorder.screenshotTaken(QStringLiteral("b"), QStringLiteral("b-101500"));
        typeText(recorder, QStringLiteral("a"), QStringLiteral("z"));
        recorder.setRecording(false); // flushes
        QCOMPARE(linesOf(spy),
            QStringList({ QStringLiteral(R"(a.send_chars("x"))"),
                QStringLiteral(R"(b.send_chars("y"))"), QStringLiteral(R"(b.succeed("uname -r"))"),
                QStringLiteral(R"(b.fail("cat /tmp/nonexistent"))"),
                QStringLiteral(R"(b.screenshot("b-101500"))"),
                QStringLiteral(R"(a.send_chars("z"))") }));
        typeText(recorder, QStringLiteral("a"), QStringLiteral("ignored"));
        recorder.shellCommand(QStringLiteral("a"), QStringLiteral("ignored"), 0);
        recorder.flush();
        QCOMPARE(spy.count(), 6);
    }

    void pauseInTypingFinishesTheLine()
    {
        ScriptRecorder recorder;
        recorder.setIdleFlush(50);
        QSignalSpy spy(&recorder, &ScriptRecorder::lineRecorded);
        recorder.setRecording(true);
        typeText(recorder, QStringLiteral("m"), QStringLiteral("root"));
        QTRY_COMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toString(), QStringLiteral(R"(m.send_chars("root"))"));
    }

    void commandAfterPrompt_data()
    {
        QTest::addColumn<QStringList>("rows");
        QTest::addColumn<int>("enterRow");
        QTest::addColumn<QString>("command");
        const auto row = [](const char *text) { return QString::fromUtf8(text); };
        QTest::newRow("simple") << QStringList { row("root@server:~# systemctl status x") } << 0
                                << row("systemctl status x");
        QTest::newRow("wrapped") << QStringList { row("root@s:/tmp# echo aaaaaaaaaaaaaaaaaaaa"),
            row("bbbb"), row("aaaaaaaaaaaaaaaaaaaabbbb") }
                                 << 1 << row("echo aaaaaaaaaaaaaaaaaaaabbbb");
        QTest::newRow("output follows") << QStringList { row("root@s:~# ls"), row("a b c"),
            row("root@s:~# ") } << 0 << row("ls");
        QTest::newRow("last prompt above")
            << QStringList { row("root@s:~# ls"), row("a b c"), row("root@s:~# pwd"), row("/root") }
            << 2 << row("pwd");
        QTest::newRow("no prompt") << QStringList { row("Password: secret") } << 0 << QString();
        QTest::newRow("empty") << QStringList { row("root@s:/# ") } << 0 << QString();
    }

    void commandAfterPrompt()
    {
        QFETCH(QStringList, rows);
        QFETCH(int, enterRow);
        QFETCH(QString, command);
        QCOMPARE(ScriptRecorder::commandAfterPrompt(rows, enterRow, 32), command);
    }

    void serialSelectionBecomesRegexWaits()
    {
        ScriptRecorder recorder;
        QSignalSpy spy(&recorder, &ScriptRecorder::lineRecorded);
        recorder.setRecording(true);
        recorder.serialSelection(
            QStringLiteral("m"), QStringLiteral("[  OK  ] Started x.service (1/2)\n\n  $HOME\n"));
        QCOMPARE(linesOf(spy),
            QStringList(
                { QStringLiteral(
                      R"x(m.wait_for_console_text("\\[\\ \\ OK\\ \\ \\]\\ Started\\ x\\.service\\ \\(1/2\\)"))x"),
                    QStringLiteral(R"(m.wait_for_console_text("\\$HOME"))") }));
    }

    // The lines are Python that means what was recorded: strings round-trip, and each regex
    // matches exactly the text it came from.
    void recordedLinesAreValidPython()
    {
        const QStringList samples { QStringLiteral("echo \"a\\b\" 'c'\t|&;"),
            QStringLiteral("[x] (y) {z} ?*+ ^$ . ~ # -"), QStringLiteral("naïve — ünïcödé") };
        QString program = QStringLiteral("import re\n");
        for (const QString &sample : samples) {
            const QString literal = ScriptRecorder::pythonString(sample);
            const QString pattern
                = ScriptRecorder::pythonString(ScriptRecorder::regexEscape(sample));
            program += QStringLiteral("s = %1\nassert re.fullmatch(%2, s), s\n"
                                      "assert re.escape(s) == %2, (re.escape(s), %2)\n")
                           .arg(literal, pattern);
        }
        QString output;
        QCOMPARE(python(program, &output), 0);
        Q_UNUSED(output)
    }

    void editorInsertsAtTheCursor()
    {
        ScriptEditor editor;
        editor.setText(QStringLiteral("start_all()\nwith subtest(\"x\"):\n    pass\n"));
        editor.setCursorPosition(2, 2); // in "    pass"
        editor.insertRecordedLine(QStringLiteral("m.succeed(\"true\")"));
        editor.insertRecordedLine(QStringLiteral("m.send_key(\"ret\")"));
        QCOMPARE(editor.text(),
            QStringLiteral("start_all()\nwith subtest(\"x\"):\n    pass\n    m.succeed(\"true\")\n"
                           "    m.send_key(\"ret\")\n"));
        editor.setCursorPosition(5, 0); // the empty last line
        editor.insertRecordedLine(QStringLiteral("m.shutdown()"));
        QVERIFY(editor.text().endsWith(QStringLiteral("\"ret\")\nm.shutdown()")));
    }
};

QTEST_MAIN(TestScriptRecorder)
#include "tst_scriptrecorder.moc"
