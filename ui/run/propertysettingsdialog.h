#pragma once

#include "core/spec/testspec.h"

#include <QDialog>

class QCheckBox;
class QLineEdit;
class QSpinBox;

namespace vivarium {

// Run → Property Settings: the examples, steps, seed and derandomize a Run gives the script's
// vivarium.stateful properties, over the test file's [property] (as vivarium-test's options).
// Each field left at "the test's" keeps what the test file or the script's run() says.
class PropertySettingsDialog : public QDialog {
    Q_OBJECT

public:
    // current: the settings in force now; test: the test file's [property], shown as the
    // fields' defaults.
    PropertySettingsDialog(
        const PropertySettings &current, const PropertySettings &test, QWidget *parent = nullptr);

    PropertySettings settings() const;

private:
    QSpinBox *m_examples;
    QSpinBox *m_steps;
    QLineEdit *m_seed;
    QCheckBox *m_derandomize;
};

} // namespace vivarium
