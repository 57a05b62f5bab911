#include "core/util/textformat.h"

namespace vivarium {

QString formatText(QStringView pattern, std::initializer_list<QString> arguments)
{
    const QString *args = arguments.begin();
    const qsizetype count = qsizetype(arguments.size());
    QString out;
    out.reserve(pattern.size());
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        const QChar c = pattern[i];
        if (c != QLatin1Char('%') || i + 1 >= pattern.size() || !pattern[i + 1].isDigit()) {
            out += c;
            continue;
        }
        // %N or %NN, as QString::arg reads them.
        int n = pattern[i + 1].digitValue();
        qsizetype end = i + 2;
        if (end < pattern.size() && pattern[end].isDigit()
            && n * 10 + pattern[end].digitValue() <= count) {
            n = n * 10 + pattern[end].digitValue();
            ++end;
        }
        if (n >= 1 && n <= count) {
            out += args[n - 1];
            i = end - 1;
        } else {
            out += c;
        }
    }
    return out;
}

QString printableText(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (u == u'\n' || u == u'\t' || (u >= 0x20 && u < 0x7f) || u > 0x9f) {
            out += c;
        } else if (u == 0x7f) {
            out += QLatin1String("^?");
        } else if (u < 0x20) {
            out += QLatin1Char('^');
            out += QChar(char16_t(u + 0x40));
        } else { // C1: 0x80-0x9f
            out += QLatin1String("M-^");
            out += QChar(char16_t(u - 0x80 + 0x40));
        }
    }
    return out;
}

QString shellQuote(const QString &s)
{
    QString quoted = s;
    quoted.replace(QLatin1Char('\''), QLatin1String("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

QString shellQuoteAll(const QStringList &words)
{
    QStringList quoted;
    for (const QString &word : words)
        quoted.append(shellQuote(word));
    return quoted.join(QLatin1Char(' '));
}

} // namespace vivarium
