#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMetaType>
#include <QString>

namespace vivarium {

// The script line a thread is running, set by the script engine as it goes; driver calls record
// it so reports and the workbench can point at the line.
struct ScriptLocation {
    QString file;
    int line = 0;
    static ScriptLocation &current(); // of the calling thread
};

// A call's arguments in the order of the call (what the reports print).
using ActionArguments = QList<std::pair<QString, QJsonValue>>;

// One driver call on a machine (start, succeed, wait_for_unit ...), for the reports and the GUI.
struct ActionEvent {
    enum class Result { Running, Ok, Failed, Timeout };
    quint64 id = 0;
    QString machine;
    QString action;
    ActionArguments arguments;
    qint64 startMs = 0; // since the epoch
    qint64 durationMs = 0;
    Result result = Result::Running;
    QString message; // the error, or a short result ("exit 0")
    QString artifact; // a file the action wrote (a screenshot), or empty
    QString file; // the script line that made the call, when a script did
    int line = 0;
    // What the call gave back (a command's [status, output], the text it read, a size...), its
    // text cut at outputLimit characters; null when it gives nothing back. outputDigest is the
    // SHA-1 of the whole value: two runs' outputs compare equal only when all of it is.
    QJsonValue output;
    QString outputDigest;
    static constexpr qsizetype outputLimit = 4096;

    // Sets output and outputDigest from a call's whole value.
    void setOutput(const QJsonValue &value);
    // output as a person reads it: the text itself, True/False, or compact JSON; empty for none.
    QString outputText() const;

    QJsonObject toJson() const;
    static ActionEvent fromJson(const QJsonObject &object);
    static QString resultName(Result result);
    // The arguments as the call wrote them: "6379, \"localhost\"", or with names
    // ("port=6379, addr=\"localhost\""); cut at maxChars (0: whole) with an ellipsis.
    QString argumentsText(bool withNames, qsizetype maxChars = 0) const;
    QJsonValue argument(const QString &name) const;
};

} // namespace vivarium

Q_DECLARE_METATYPE(vivarium::ActionEvent)
