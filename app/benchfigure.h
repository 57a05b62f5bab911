#pragma once

#include <QList>
#include <QString>

// One figure of vivarium-bench: a JSON key, a table row.
struct BenchFigure {
    QString key;
    QString what;
    double value = 0;
    QString unit;
    QString target; // e.g. "<= 2.5"
    double ratio = 0; // how many times faster than the peer, where there is one
};

double percentile(QList<double> samples, double p);
