#pragma once
// Conversion between Python's datetime.date and boost::gregorian::date (pybind11/chrono.h
// converts std::chrono types only). Include this header in every binding file that passes dates,
// so the caster is the same in all of them.
//
// Python -> C++: a datetime.date (a datetime.datetime is a date too: its date part is taken).
// C++ -> Python: datetime.date; a special value (not_a_date_time) becomes None.

#include <boost/date_time/gregorian/gregorian_types.hpp>
#include <khuyenhoc/error.hpp>

#include <pybind11/pybind11.h>

#include <datetime.h>

#include <string>

namespace pybind11::detail {

template <>
struct type_caster<boost::gregorian::date> {
 public:
  PYBIND11_TYPE_CASTER(boost::gregorian::date, const_name("datetime.date"));

  bool load(handle src, bool /*convert*/) {
    if (!src) return false;
    if (!PyDateTimeAPI) {
      PyDateTime_IMPORT;
      if (!PyDateTimeAPI) throw error_already_set();
    }
    if (!PyDate_Check(src.ptr())) return false;
    const int y = PyDateTime_GET_YEAR(src.ptr());
    const int m = PyDateTime_GET_MONTH(src.ptr());
    const int d = PyDateTime_GET_DAY(src.ptr());
    if (y < 1400) {
      throw khuyenhoc::data_error("date " + std::to_string(y) + "-" + std::to_string(m) + "-" +
                                  std::to_string(d) + " is before 1400, the first year supported");
    }
    value = boost::gregorian::date(static_cast<unsigned short>(y), static_cast<unsigned short>(m),
                                   static_cast<unsigned short>(d));
    return true;
  }

  static handle cast(const boost::gregorian::date& src, return_value_policy /*policy*/,
                     handle /*parent*/) {
    if (src.is_special()) return none().release();
    if (!PyDateTimeAPI) {
      PyDateTime_IMPORT;
      if (!PyDateTimeAPI) throw error_already_set();
    }
    return PyDate_FromDate(static_cast<int>(src.year()), static_cast<int>(src.month()),
                           static_cast<int>(src.day()));
  }
};

}  // namespace pybind11::detail
