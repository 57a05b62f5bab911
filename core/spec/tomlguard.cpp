#include "core/spec/tomlguard.h"

#include "core/spec/tomlreader.h"

namespace vivarium {

namespace {

// A small scanner that knows where strings and comments are (so brackets, dots and '=' inside
// them do not count), and counts, per line, the dotted parts of the key and the open brackets.
class Scanner {
public:
    explicit Scanner(const QByteArray &text)
        : m_text(text)
    {
    }

    QString run()
    {
        while (m_at < m_text.size()) {
            const char c = m_text.at(m_at);
            if (c == '#') {
                skipComment();
                continue;
            }
            if (c == '"' || c == '\'') {
                if (const QString problem = skipString(c); !problem.isEmpty())
                    return problem;
                continue;
            }
            if (c == '\n') {
                newline();
                continue;
            }
            if (c == '[' || c == '{') {
                if (++m_depth > maxTomlNesting)
                    return where(QStringLiteral("arrays and tables are nested more than %1 deep")
                                     .arg(maxTomlNesting));
            } else if (c == ']' || c == '}') {
                m_depth = qMax(0, m_depth - 1);
            } else if (c == '=') {
                m_inValue = true;
            } else if (c == '.' && !m_inValue) {
                if (++m_keyParts >= maxTomlKeyParts)
                    return where(
                        QStringLiteral("a key has more than %1 dotted parts").arg(maxTomlKeyParts));
            } else if (c == ',' && m_depth > 0) {
                m_inValue = false; // the next key of an inline table
                m_keyParts = 0;
            }
            advance();
        }
        return {};
    }

private:
    QString where(const QString &message) const
    {
        return QStringLiteral("%1:%2: %3").arg(m_line).arg(m_column).arg(message);
    }

    void advance()
    {
        ++m_at;
        ++m_column;
    }

    void newline()
    {
        advance();
        ++m_line;
        m_column = 1;
        // A value spanning lines (an array) goes on; a new key starts on a line of its own.
        if (m_depth == 0) {
            m_inValue = false;
            m_keyParts = 0;
        }
    }

    void skipComment()
    {
        while (m_at < m_text.size() && m_text.at(m_at) != '\n')
            advance();
    }

    QString skipString(char quote)
    {
        const bool multi = m_text.mid(m_at, 3) == QByteArray(3, quote);
        const int width = multi ? 3 : 1;
        for (int i = 0; i < width; ++i)
            advance();
        while (m_at < m_text.size()) {
            const char c = m_text.at(m_at);
            if (c == '\\' && quote == '"') {
                advance();
                if (m_at < m_text.size() && m_text.at(m_at) == '\n')
                    newline();
                else
                    advance();
                continue;
            }
            if (c == '\n') {
                if (!multi)
                    return {}; // the parser reports the unterminated string
                ++m_line;
                m_column = 0;
            }
            if (m_text.mid(m_at, width) == QByteArray(width, quote)) {
                for (int i = 0; i < width; ++i)
                    advance();
                return {};
            }
            advance();
        }
        return {};
    }

    const QByteArray &m_text;
    qsizetype m_at = 0;
    int m_line = 1;
    int m_column = 1;
    int m_depth = 0;
    int m_keyParts = 0;
    bool m_inValue = false;
};

// line:col of a byte offset.
QString position(const QByteArray &text, qsizetype at)
{
    const qsizetype lineStart = text.lastIndexOf('\n', at - 1) + 1;
    return QStringLiteral("%1:%2").arg(text.left(at).count('\n') + 1).arg(at - lineStart + 1);
}

} // namespace

QString guardTomlText(const QByteArray &text)
{
    if (text.size() > maxTestFileBytes)
        return QStringLiteral("1:1: the test file is larger than %1 KiB")
            .arg(maxTestFileBytes / 1024);
    if (const qsizetype nul = text.indexOf('\0'); nul >= 0)
        return position(text, nul) + QStringLiteral(": a NUL byte is not allowed in a test file");
    if (const qsizetype fe7f = text.indexOf("\xef\xb9\xbf"); fe7f >= 0)
        return position(text, fe7f)
            + QStringLiteral(": the character U+FE7F is not allowed in a test file (the TOML "
                             "parser mishandles it)");
    return Scanner(text).run();
}

// The raw-text guard (tomlguard.h), then toml++: the table, or nullopt with the problem as
// "path:line:col: message" in errors.
std::optional<toml::table> parseToml(
    const QByteArray &text, const QString &path, QStringList &errors)
{
    if (const QString problem = guardTomlText(text); !problem.isEmpty()) {
        errors.append(path + QLatin1Char(':') + problem);
        return std::nullopt;
    }
    const std::string pathUtf8 = path.toStdString();
    try {
        return toml::parse(
            std::string_view(text.constData(), size_t(text.size())), std::string_view(pathUtf8));
    } catch (const toml::parse_error &e) {
        errors.append(QStringLiteral("%1:%2:%3: %4")
                          .arg(path)
                          .arg(e.source().begin.line)
                          .arg(e.source().begin.column)
                          .arg(tomlString(e.description())));
        return std::nullopt;
    }
}

} // namespace vivarium
