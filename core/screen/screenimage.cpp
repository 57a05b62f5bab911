#include "core/screen/screenimage.h"

#include <opencv2/imgproc.hpp>

namespace vivarium {

cv::Mat bgrMat(const QImage &image)
{
    const QImage rgb = image.convertToFormat(QImage::Format_RGB888);
    const cv::Mat view(rgb.height(), rgb.width(), CV_8UC3, const_cast<uchar *>(rgb.constBits()),
        size_t(rgb.bytesPerLine()));
    cv::Mat bgr;
    cv::cvtColor(view, bgr, cv::COLOR_RGB2BGR);
    return bgr;
}

cv::Mat greyMat(const QImage &image)
{
    const QImage grey = image.convertToFormat(QImage::Format_Grayscale8);
    const cv::Mat view(grey.height(), grey.width(), CV_8UC1, const_cast<uchar *>(grey.constBits()),
        size_t(grey.bytesPerLine()));
    return view.clone();
}

QImage imageFromMat(const cv::Mat &mat)
{
    if (mat.channels() == 1) {
        const QImage view(mat.data, mat.cols, mat.rows, int(mat.step), QImage::Format_Grayscale8);
        return view.copy();
    }
    cv::Mat rgb;
    cv::cvtColor(mat, rgb, cv::COLOR_BGR2RGB);
    const QImage view(rgb.data, rgb.cols, rgb.rows, int(rgb.step), QImage::Format_RGB888);
    return view.copy();
}

} // namespace vivarium
