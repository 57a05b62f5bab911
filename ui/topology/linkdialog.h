#pragma once

#include "core/network/linkstate.h"

#include <QDialog>

class QDoubleSpinBox;
class QSpinBox;

namespace vivarium {

// Edits a link's impairment (delay, jitter, loss, duplication, bandwidth), or a whole VLAN's.
// Apply (and OK) hand the values to applyRequested, which the caller applies live; the dialog
// stays open on Apply so a user can try values against a running test.
class LinkDialog : public QDialog {
    Q_OBJECT

public:
    LinkDialog(const QString &title, const LinkSettings &current, QWidget *parent = nullptr);

    LinkUpdate update() const; // every value, as shown
    void setSettings(const LinkSettings &settings);

signals:
    void applyRequested(const vivarium::LinkUpdate &update);

private:
    QDoubleSpinBox *m_delay;
    QDoubleSpinBox *m_jitter;
    QDoubleSpinBox *m_loss; // percent
    QDoubleSpinBox *m_dup; // percent
    QSpinBox *m_bandwidth; // kbit/s, 0: unlimited
};

} // namespace vivarium
