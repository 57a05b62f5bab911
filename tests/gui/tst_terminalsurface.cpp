// The terminal surface over libvterm: escape sequences become the right cells and colours,
// lines scroll into a bounded scrollback, damage is reported, keys become bytes; the view keeps
// every column visible, selects words, and has its right-click menu.
#include "buildpaths.h"
#include "ui/terminal/terminalsurface.h"
#include "ui/terminal/terminalview.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QMenu>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTest>

using namespace vivarium;

class TestTerminalSurface : public QObject {
    Q_OBJECT

private slots:
    void plainTextLandsInCells()
    {
        TerminalSurface s(24, 80);
        s.feed("hello\r\nworld");
        QCOMPARE(s.lineText(0), QString("hello"));
        QCOMPARE(s.lineText(1), QString("world"));
        QCOMPARE(s.cursor(), QPoint(5, 1));
        QCOMPARE(s.cell(0, 0).ch, U'h');
        QCOMPARE(s.cell(0, 0).fg, s.defaultForeground());
        QCOMPARE(s.cell(0, 0).bg, s.defaultBackground());
    }

    void coloursAndAttributes_data()
    {
        QTest::addColumn<QByteArray>("sequence");
        QTest::addColumn<QRgb>("fg");
        QTest::addColumn<QRgb>("bg");
        QTest::addColumn<int>("attrs");
        QTest::newRow("ansi red") << QByteArray("\x1b[31mX") << qRgb(224, 0, 0)
                                  << qRgb(0x10, 0x10, 0x10) << 0;
        QTest::newRow("bright green bg")
            << QByteArray("\x1b[102mX") << qRgb(0xd0, 0xd0, 0xd0) << qRgb(64, 255, 64) << 0;
        QTest::newRow("256 colour 196")
            << QByteArray("\x1b[38;5;196mX") << qRgb(255, 0, 0) << qRgb(0x10, 0x10, 0x10) << 0;
        QTest::newRow("256 grey 244") << QByteArray("\x1b[48;5;244mX") << qRgb(0xd0, 0xd0, 0xd0)
                                      << qRgb(0x85, 0x85, 0x85) << 0; // libvterm's grey ramp
        QTest::newRow("truecolor") << QByteArray("\x1b[38;2;1;2;3;48;2;250;251;252mX")
                                   << qRgb(1, 2, 3) << qRgb(250, 251, 252) << 0;
        QTest::newRow("bold underline")
            << QByteArray("\x1b[1;4mX") << qRgb(0xd0, 0xd0, 0xd0) << qRgb(0x10, 0x10, 0x10)
            << int(TerminalCell::Bold | TerminalCell::Underline);
        QTest::newRow("reverse") << QByteArray("\x1b[7mX") << qRgb(0xd0, 0xd0, 0xd0)
                                 << qRgb(0x10, 0x10, 0x10) << int(TerminalCell::Reverse);
    }
    void coloursAndAttributes()
    {
        QFETCH(QByteArray, sequence);
        QFETCH(QRgb, fg);
        QFETCH(QRgb, bg);
        QFETCH(int, attrs);
        TerminalSurface s(5, 20);
        s.feed(sequence + "\x1b[0mY");
        const TerminalCell x = s.cell(0, 0);
        QCOMPARE(x.ch, U'X');
        QCOMPARE(QColor(x.fg), QColor(fg));
        QCOMPARE(QColor(x.bg), QColor(bg));
        QCOMPARE(int(x.attrs), attrs);
        QCOMPARE(s.cell(0, 1).fg, s.defaultForeground()); // reset
    }

    void cursorMovementAndErase()
    {
        TerminalSurface s(5, 20);
        s.feed("abcdef\x1b[3D\x1b[K\x1b[2;5HZ");
        QCOMPARE(s.lineText(0), QString("abc"));
        QCOMPARE(s.cell(1, 4).ch, U'Z');
        s.feed("\x1b[2J\x1b[H");
        QCOMPARE(s.lineText(1), QString());
    }

    void wideAndUnicodeCharacters()
    {
        TerminalSurface s(5, 20);
        s.feed("\xc3\xa9\xe6\xbc\xa2x"); // é, a wide CJK character, x
        QCOMPARE(s.cell(0, 0).ch, U'é');
        QCOMPARE(s.cell(0, 1).ch, U'漢');
        QCOMPARE(int(s.cell(0, 1).width), 2);
        QCOMPARE(s.cell(0, 3).ch, U'x');
        QCOMPARE(s.lineText(0), QString::fromUtf8("é漢x"));
    }

    void linesScrollIntoTheScrollback()
    {
        TerminalSurface s(4, 20);
        QSignalSpy scrolled(&s, &TerminalSurface::scrolled);
        QByteArray bytes;
        for (int i = 0; i < 10; ++i)
            bytes += "line " + QByteArray::number(i) + "\r\n";
        s.feed(bytes);
        QCOMPARE(s.scrollbackLines(), 7); // 10 lines and an empty one on 4 rows
        QCOMPARE(s.lineCount(), 11);
        for (int i = 0; i < 10; ++i)
            QCOMPARE(s.lineText(i), QString("line %1").arg(i));
        QCOMPARE(scrolled.size(), 1);
        QCOMPARE(scrolled.first().first().toInt(), 7);
    }

    void scrollbackIsBoundedAndKeepsTenThousandLines()
    {
        TerminalSurface s(24, 80);
        QByteArray bytes;
        for (int i = 0; i < 12000; ++i)
            bytes += "l" + QByteArray::number(i) + "\r\n";
        s.feed(bytes);
        QCOMPARE(s.scrollbackLines(), 10000);
        QCOMPARE(s.lineText(0), QString("l%1").arg(12000 - 23 - 10000));
        s.setScrollbackLimit(100);
        QCOMPARE(s.scrollbackLines(), 100);
    }

    void colouredScrollbackKeepsItsColours()
    {
        TerminalSurface s(2, 10);
        s.feed("\x1b[34mblue\x1b[0m\r\nx\r\ny\r\n");
        QCOMPARE(s.lineText(0), QString("blue"));
        QCOMPARE(QColor(s.cell(0, 0).fg), QColor(qRgb(0, 0, 224)));
    }

    void damageCoversWhatChanged()
    {
        TerminalSurface s(10, 40);
        QSignalSpy damaged(&s, &TerminalSurface::damaged);
        s.feed("\x1b[3;5Habc");
        QVERIFY(!damaged.isEmpty());
        const QRect r = damaged.last().first().toRect();
        QVERIFY2(r.contains(QPoint(4, 2)) && r.contains(QPoint(6, 2)),
            qPrintable(
                QString("%1,%2 %3x%4").arg(r.x()).arg(r.y()).arg(r.width()).arg(r.height())));
        QVERIFY(!r.contains(QPoint(20, 8)));
    }

    void selectionTextSpansLines()
    {
        TerminalSurface s(5, 20);
        s.feed("first line\r\nsecond line");
        QCOMPARE(s.text(QPoint(6, 0), QPoint(5, 1)), QString("line\nsecond"));
        QCOMPARE(s.text(QPoint(5, 1), QPoint(6, 0)), QString("line\nsecond")); // either order
    }

    void keysBecomeBytes_data()
    {
        QTest::addColumn<int>("key");
        QTest::addColumn<int>("modifiers");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("letter") << int(Qt::Key_A) << 0 << "a" << QByteArray("a");
        QTest::newRow("shifted") << int(Qt::Key_A) << int(Qt::ShiftModifier) << "A"
                                 << QByteArray("A");
        QTest::newRow("enter") << int(Qt::Key_Return) << 0 << "\r" << QByteArray("\r");
        QTest::newRow("ctrl-c") << int(Qt::Key_C) << int(Qt::ControlModifier) << "\x03"
                                << QByteArray("\x03");
        QTest::newRow("up") << int(Qt::Key_Up) << 0 << "" << QByteArray("\x1b[A");
        QTest::newRow("backspace") << int(Qt::Key_Backspace) << 0 << "" << QByteArray("\x7f");
        QTest::newRow("f1") << int(Qt::Key_F1) << 0 << "" << QByteArray("\x1bOP");
        QTest::newRow("utf-8") << int(Qt::Key_unknown) << 0 << "é" << QByteArray("\xc3\xa9");
    }
    void keysBecomeBytes()
    {
        QFETCH(int, key);
        QFETCH(int, modifiers);
        QFETCH(QString, text);
        QFETCH(QByteArray, bytes);
        TerminalSurface s(5, 20);
        QByteArray out;
        connect(&s, &TerminalSurface::output, this, [&](const QByteArray &b) { out += b; });
        s.typeKey(key, Qt::KeyboardModifiers(modifiers), text);
        QCOMPARE(out, bytes);
    }

    void resizeKeepsContent()
    {
        TerminalSurface s(5, 20);
        s.feed("kept");
        s.resize(10, 40);
        QCOMPARE(s.rows(), 10);
        QCOMPARE(s.cols(), 40);
        QCOMPARE(s.lineText(0), QString("kept"));
    }

    // A serial console filled while its tab was hidden (a narrow size) showed its lines cut at
    // that width once shown: every line is laid out again at the width it is shown at, the
    // scrollback too, and nothing the terminal answered then is sent again.
    void aWiderTerminalLaysOutItsWholeHistory()
    {
        TerminalSurface s(10, 34);
        QSignalSpy output(&s, &TerminalSurface::output);
        QSignalSpy finished(&s, &TerminalSurface::commandFinished);
        s.feed("\x1b[c"); // a device attributes query: the terminal answers it once
        const int answers = int(output.size());
        QVERIFY(answers > 0);
        const QString line = "[    1.234] sysctl: net.ipv4.ip_forward = 1 (the rest of it)";
        for (int i = 0; i < 30; ++i)
            s.feed(QString("%1 %2\r\n").arg(i).arg(line).toUtf8());
        s.feed("\x1b]133;D;0\x07");
        QCOMPARE(finished.size(), 1);
        QVERIFY(s.lineText(0).size() <= 34); // wrapped at 34 while narrow
        s.resize(10, 120);
        QCOMPARE(s.lineText(0), QString("0 ") + line);
        QCOMPARE(s.lineText(29), QString("29 ") + line);
        QCOMPARE(output.size(), answers);
        QCOMPARE(finished.size(), 1);
        // What was cleared stays cleared.
        s.clearScrollback();
        s.resize(10, 100);
        for (int i = 0; i < s.lineCount(); ++i)
            QVERIFY2(!s.lineText(i).contains("sysctl"), qPrintable(s.lineText(i)));
    }

    void aWideCharacterInANarrowTerminal()
    {
        // Found by fuzz_terminalsurface: libvterm crashed on a double-width character in a
        // one-column terminal (a Shell squeezed to nothing, a guest printing "Ａ").
        TerminalSurface s(24, 1);
        QCOMPARE(s.cols(), 2);
        s.feed("\xef\xbc\xa1x");
        s.resize(3, 1);
        QCOMPARE(s.cols(), 2);
        s.feed("\r\n\xef\xbc\xa1\xef\xbc\xa1");
        QVERIFY(s.lineCount() >= 3);
    }

    // OSC 133;D;status (the guest shell's PROMPT_COMMAND) reports a command's exit status and
    // shows nothing.
    void shellIntegrationReportsExitStatus()
    {
        TerminalSurface s(24, 80);
        QSignalSpy finished(&s, &TerminalSurface::commandFinished);
        s.feed("cat: /tmp/x: No such file\r\n\x1b]133;D;1\x07root@m:/# ");
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.at(0).at(0).toInt(), 1);
        QCOMPARE(s.lineText(1), QString("root@m:/#")); // without trailing blanks
        s.feed("\x1b]133;D;0\x07");
        QCOMPARE(finished.at(1).at(0).toInt(), 0);
        s.feed("\x1b]2;a title\x07"); // others are not statuses
        QCOMPARE(finished.size(), 2);
    }

    // The last column is never under the scroll bar, before or after the scrollback fills.
    void everyColumnIsVisible()
    {
        TerminalSurface s(24, 80);
        TerminalView view(&s);
        view.setFollowsWidgetSize(true);
        view.resize(700, 400);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const int colsBefore = s.cols();
        QVERIFY(colsBefore * view.cellSize().width() <= view.viewport()->width());
        for (int i = 0; i < 200; ++i)
            s.feed("line " + QByteArray::number(i) + "\r\n");
        QTRY_VERIFY(view.verticalScrollBar()->maximum() > 0);
        QCOMPARE(s.cols(), colsBefore);
        QVERIFY(s.cols() * view.cellSize().width() <= view.viewport()->width());
        QScrollBar *bar = view.verticalScrollBar();
        QVERIFY(!QRect(bar->mapTo(&view, QPoint(0, 0)), bar->size())
                     .intersects(QRect(view.viewport()->mapTo(&view, QPoint(0, 0)),
                         QSize(s.cols() * view.cellSize().width(), view.viewport()->height()))));
    }

    // `stty size` said 91 columns but about 88.5 showed: the cells were the font's advance
    // rounded down (7 px for 7.2). At several zooms, a full line's last glyph is drawn inside
    // its own cell, and inside the view.
    void theLastColumnIsDrawnInItsCell()
    {
        for (int zoom : { -2, 0, 1, 3, 7 }) {
            TerminalSurface s(5, 80);
            TerminalView view(&s);
            view.setFollowsWidgetSize(true);
            view.zoom(zoom);
            view.resize(700, 300);
            view.show();
            QVERIFY(QTest::qWaitForWindowExposed(&view));
            const int cols = s.cols();
            const int cell = view.cellSize().width();
            QVERIFY(cols * cell <= view.viewport()->width());
            s.feed(QByteArray(cols, 'H'));
            QTest::qWait(100); // the view repaints on a timer
            const QImage image = view.viewport()->grab().toImage();
            const QRgb background = s.defaultBackground();
            int rightmost = -1;
            for (int x = 0; x < image.width(); ++x)
                for (int y = 0; y < cell * 2 && y < image.height(); ++y)
                    if ((image.pixel(x, y) & 0xffffff) != (background & 0xffffff))
                        rightmost = x;
            // Ink of the last H is in the last cell, not beyond it (and not short of it).
            QVERIFY2(rightmost < cols * cell && rightmost >= (cols - 1) * cell,
                qPrintable(QString("zoom %1: %2 columns of %3 px, ink up to x = %4")
                               .arg(zoom)
                               .arg(cols)
                               .arg(cell)
                               .arg(rightmost)));
        }
    }

    void doubleClickSelectsAWordAndTheMenuHasItsActions()
    {
        TerminalSurface s(24, 80);
        TerminalView view(&s);
        view.resize(700, 400);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        s.feed("ls /var/log/syslog now\r\n");
        const QSize cell = view.cellSize();
        QTest::mouseDClick(view.viewport(), Qt::LeftButton, {},
            QPoint(6 * cell.width() + cell.width() / 2, cell.height() / 2));
        QCOMPARE(view.selectedText(), QString("/var/log/syslog"));
        QMenu *menu = view.createContextMenu();
        QStringList texts;
        for (QAction *a : menu->actions())
            if (!a->isSeparator())
                texts << a->text();
        QCOMPARE(
            texts, QStringList({ "Copy", "Paste", "Select All", "Find…", "Clear Scrollback" }));
        QVERIFY(menu->actions().at(0)->isEnabled()); // something is selected
        for (int i = 0; i < 100; ++i)
            s.feed("more\r\n");
        QVERIFY(s.scrollbackLines() > 0);
        menu->actions().last()->trigger();
        QCOMPARE(s.scrollbackLines(), 0);
        delete menu;
    }

    void fuzzerFindingsReplay()
    {
        // Every input kept in the fuzz corpus goes through without a crash.
        const QDir corpus(QStringLiteral(VIVARIUM_SOURCE_DIR "/tests/fuzz/corpus/terminalsurface"));
        const QStringList files = corpus.entryList(QDir::Files);
        QVERIFY(!files.isEmpty());
        for (const QString &name : files) {
            QFile file(corpus.filePath(name));
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QByteArray bytes = file.readAll();
            TerminalSurface s(24, 80);
            for (qsizetype at = 0; at < bytes.size(); ++at) {
                s.feed(bytes.mid(at, 1));
                if (at % 7 == 3)
                    s.resize(1 + uchar(bytes[at]) % 60, 1 + uchar(bytes[at]) % 200);
            }
        }
    }
};

QTEST_MAIN(TestTerminalSurface)
#include "tst_terminalsurface.moc"
