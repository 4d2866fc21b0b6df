// Bindings of calendar.hpp (lunar calendar, holidays, working days) and time_expr.hpp.
#include <khuyenhoc/calendar.hpp>
#include <khuyenhoc/error.hpp>
#include <khuyenhoc/time_expr.hpp>

#include <pybind11/stl.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "date_caster.hpp"

namespace khuyenhoc::python {

namespace {

namespace bg = boost::gregorian;

// Python numbers weekdays Monday = 0 … Sunday = 6, Boost Sunday = 0 … Saturday = 6.
int boost_weekday(int python_weekday) {
  if (python_weekday < 0 || python_weekday > 6) {
    throw spec_error("weekday " + std::to_string(python_weekday) +
                     " is not 0..6 (Monday = 0, as datetime.date.weekday())");
  }
  return (python_weekday + 1) % 7;
}
int python_weekday(int boost_weekday) {
  return (boost_weekday + 6) % 7;
}

bg::date to_date(const py::handle& h, const char* what) {
  py::detail::make_caster<bg::date> caster;
  if (!caster.load(h, true)) {
    throw py::type_error(std::string(what) + " must be a datetime.date, not " +
                         std::string(py::str(py::type::handle_of(h).attr("__name__"))));
  }
  return py::detail::cast_op<bg::date>(caster);
}

// extra_holidays items: a date, (date, name_vi) or (date, name_vi, name_en).
void add_extra_holidays(calendar& cal, const py::iterable& items) {
  for (const py::handle item : items) {
    if (py::isinstance<py::tuple>(item) || py::isinstance<py::list>(item)) {
      const auto seq = py::reinterpret_borrow<py::sequence>(item);
      if (seq.size() < 1 || seq.size() > 3) {
        throw spec_error("an extra holiday is a date, (date, name_vi) or (date, name_vi, name_en)");
      }
      const bg::date day = to_date(seq[0], "an extra holiday's date");
      std::string vi = seq.size() > 1 ? seq[1].cast<std::string>() : "Ngày nghỉ";
      std::string en = seq.size() > 2 ? seq[2].cast<std::string>() : std::string{};
      cal.add_holiday(day, std::move(vi), std::move(en));
    } else {
      cal.add_holiday(to_date(item, "an extra holiday"), "Ngày nghỉ", "Day off");
    }
  }
}

void configure(calendar& cal, const py::iterable& extra_holidays, const py::iterable& make_up_days,
               const std::optional<std::vector<int>>& weekend) {
  if (weekend) {
    std::vector<int> days;
    for (int w : *weekend) days.push_back(boost_weekday(w));
    cal.set_weekend(days);
  }
  add_extra_holidays(cal, extra_holidays);
  for (const py::handle item : make_up_days) cal.add_make_up_day(to_date(item, "a make-up day"));
}

py::list holiday_tuples(const std::vector<holiday>& hs, const std::string& lang) {
  if (lang != "vi" && lang != "en") throw spec_error("lang must be \"vi\" or \"en\"");
  py::list out;
  for (const auto& h : hs) out.append(py::make_tuple(h.date, lang == "vi" ? h.name_vi : h.name_en));
  return out;
}

std::string iso(const std::optional<bg::date>& d) {
  if (!d) return "None";
  const auto two = [](int v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  return std::to_string(static_cast<int>(d->year())) + "-" + two(d->month()) + "-" + two(d->day());
}

std::string repr(const time_expr& t) {
  std::string out = "TimeExpr(" + std::string(py::repr(py::str(t.text))) +
                    ", start=" + iso(t.start) + ", end=" + iso(t.end) + ", granularity='" +
                    std::string(to_string(t.granularity)) + "'";
  if (t.tentative) out += ", tentative=True";
  if (t.open_ended) out += ", open_ended=True";
  if (t.recurring) out += ", recurring=True";
  if (t.approximate) out += ", approximate=True";
  if (t.deadline) out += ", deadline=True";
  if (t.ongoing) out += ", ongoing=True";
  if (!t.repeat.empty()) out += ", repeat='" + t.repeat + "'";
  return out + ")";
}

}  // namespace

void register_calendar(py::module_& m) {
  // --- lunar calendar ---
  m.def(
      "solar_to_lunar",
      [](bg::date day) {
        const lunar_date l = solar_to_lunar(day);
        return py::make_tuple(l.day, l.month, l.year, l.leap);
      },
      py::arg("date"),
      "The Vietnamese lunar date (UTC+7) of a datetime.date as (day, month, year, leap).\n"
      "Raises DataError outside 1800-2199.");
  m.def("lunar_to_solar", &lunar_to_solar, py::arg("day"), py::arg("month"), py::arg("year"),
        py::arg("leap") = false,
        "The datetime.date of a Vietnamese lunar date. Raises DataError for a lunar date that "
        "does not exist (e.g. a leap month the year does not have).");
  m.def("lunar_leap_month", &lunar_leap_month, py::arg("year"),
        "The leap month of a lunar year (1..12), or 0 when it has none.");
  m.def("lunar_month_length", &lunar_month_length, py::arg("month"), py::arg("year"),
        py::arg("leap") = false, "Days (29 or 30) of a lunar month.");

  // --- holidays ---
  py::class_<holiday>(m, "Holiday", "One day off: date, names, the rule it comes from.")
      .def_readonly("date", &holiday::date, "The day off (datetime.date).")
      .def_readonly("name_vi", &holiday::name_vi,
                    "Vietnamese name, e.g. \"Tết Nguyên Đán\", \"Nghỉ bù Quốc khánh\".")
      .def_readonly("name_en", &holiday::name_en, "English name.")
      .def_readonly("rule_id", &holiday::rule_id,
                    "Id of the rule it comes from; \"extra\" for added holidays.")
      .def_readonly("substitute", &holiday::substitute,
                    "True for a substitute day off for a holiday falling on a weekend.")
      .def_property_readonly(
          "type", [](const holiday& h) { return std::string(to_string(h.type)); },
          "\"public_holiday\", \"announced_break\" (a day of a break the government announced), "
          "\"substitute_day\", \"swapped_day_off\", \"extra_holiday\"; \"swapped_working_day\" "
          "in Calendar.swapped_working_days.")
      .def_readonly("source", &holiday::source,
                    "The decision behind an announced break or a swap, when recorded; else \"\".")
      .def("__eq__", [](const holiday& a, const holiday& b) { return a == b; })
      .def("__repr__", [](const holiday& h) {
        return "Holiday(" + iso(h.date) + ", " + std::string(py::repr(py::str(h.name_vi))) +
               ", rule_id=" + std::string(py::repr(py::str(h.rule_id))) + ", type='" +
               std::string(to_string(h.type)) + "'" + (h.substitute ? ", substitute=True" : "") +
               ")";
      });

  m.def(
      "holidays",
      [](int year, const std::string& lang, bool detailed) -> py::object {
        if (detailed) return py::cast(holidays(year));
        return holiday_tuples(holidays(year), lang);
      },
      py::arg("year"), py::kw_only(), py::arg("lang") = "vi", py::arg("detailed") = false,
      "Vietnam's days off of a year as [(datetime.date, name)] — rule days, the breaks and swaps "
      "the government announced, substitute days — with Saturday and Sunday as weekend. lang: "
      "'vi' or 'en'. detailed=True: Holiday objects instead, each with its type "
      "(public_holiday, announced_break, substitute_day, swapped_day_off) and source.");

  py::class_<calendar>(m, "Calendar",
                       "Holiday rules + extra holidays + make-up working days + weekend days, "
                       "with working-day arithmetic. Defaults to Vietnam's rules.")
      .def(py::init([](const py::iterable& extra_holidays, const py::iterable& make_up_days,
                       const std::optional<std::vector<int>>& weekend) {
             calendar cal;
             configure(cal, extra_holidays, make_up_days, weekend);
             return cal;
           }),
           py::kw_only(), py::arg("extra_holidays") = py::tuple(),
           py::arg("make_up_days") = py::tuple(), py::arg("weekend") = py::none())
      .def_static(
          "from_yaml",
          [](const py::object& path) {
            return calendar::from_yaml_file(
                py::str(py::module_::import("os").attr("fspath")(path)));
          },
          py::arg("path"), "A calendar from a YAML file (see src/data/vn_holidays.yaml).")
      .def_static(
          "from_yaml_text", [](const std::string& text) { return calendar::from_yaml(text); },
          py::arg("text"), "A calendar from YAML text.")
      .def(
          "is_working_day", &calendar::is_working_day, py::arg("date"),
          "True when the date is neither a weekend day nor a holiday, or is a make-up working day.")
      .def("is_holiday", &calendar::is_holiday, py::arg("date"),
           "True when the date is a public holiday (or an added one) of this calendar.")
      .def("is_weekend", &calendar::is_weekend, py::arg("date"),
           "True when the date falls on one of the calendar's weekend days.")
      .def(
          "__contains__",
          [](const calendar& c, const py::object& day) {
            return c.is_holiday(to_date(day, "a calendar holds dates; the key"));
          },
          py::arg("date"),
          "date in calendar: True when the date is a day off by a holiday (as is_holiday; "
          "weekend days are not in it), as python-holidays' `date in holidays`.")
      .def(
          "classify",
          [](const calendar& c, bg::date day) { return std::string(to_string(c.classify(day))); },
          py::arg("date"),
          "What the date is: \"working_day\", \"weekend\", \"public_holiday\", "
          "\"announced_break\", \"substitute_day\", \"swapped_day_off\", "
          "\"swapped_working_day\" or \"extra_holiday\".")
      .def("swapped_working_days", &calendar::swapped_working_days, py::arg("year"),
           "Weekend days (or holidays) of the year worked by a swap or as make-up days, as "
           "Holiday objects of type \"swapped_working_day\".")
      .def(
          "add_swap",
          [](calendar& c, bg::date day_off, std::optional<bg::date> work, std::string name_vi,
             std::string name_en, std::string source) {
            holiday_swap x;
            x.day_off = day_off;
            x.work = work;
            if (!name_vi.empty()) x.name_vi = std::move(name_vi);
            if (!name_en.empty()) x.name_en = std::move(name_en);
            x.source = std::move(source);
            c.add_swap(std::move(x));
          },
          py::arg("day_off"), py::arg("work") = py::none(), py::kw_only(), py::arg("name_vi") = "",
          py::arg("name_en") = "", py::arg("source") = "",
          "Adds a day swap: day_off becomes a day off, work (a weekend day), if given, a working "
          "day. Modifies the calendar: not thread-safe.")
      .def("add_working_days", &calendar::add_working_days, py::arg("date"), py::arg("n"),
           "The date n working days after date (before it when n < 0).")
      .def("working_days_between", &calendar::working_days_between, py::arg("start"),
           py::arg("end"), "Working days in [start, end); negative when end < start.")
      .def(
          "holidays",
          [](const calendar& c, int year, const std::string& lang) {
            return holiday_tuples(c.holidays(year), lang);
          },
          py::arg("year"), py::kw_only(), py::arg("lang") = "vi",
          "The year's days off as [(datetime.date, name)].")
      .def("holiday_list", &calendar::holidays, py::arg("year"),
           "The year's days off as Holiday objects.")
      .def(
          "add_holiday",
          [](calendar& c, bg::date day, std::string name_vi, std::string name_en) {
            c.add_holiday(day, std::move(name_vi), std::move(name_en));
          },
          py::arg("date"), py::arg("name_vi") = "Ngày nghỉ", py::arg("name_en") = "",
          "Adds an extra day off (rule_id \"extra\"). Modifies the calendar: not thread-safe.")
      .def("add_make_up_day", &calendar::add_make_up_day, py::arg("date"),
           "Adds a make-up working day (ngày làm bù): a weekend day that counts as a working day.")
      .def("set_span", &calendar::set_span, py::arg("id"), py::arg("year"), py::arg("first"),
           py::arg("last"),
           "Sets (or replaces) the days off of rule id in a year, first to last inclusive. Raises "
           "SpecError if last < first or the dates are not in the year.")
      .def("set_tet_span", &calendar::set_tet_span, py::arg("year"), py::arg("first"),
           py::arg("last"), "The days off for Tết in a year, as the government decided.")
      .def_property_readonly(
          "weekend",
          [](const calendar& c) {
            std::vector<int> out;
            for (int w : c.weekend()) out.push_back(python_weekday(w));
            std::sort(out.begin(), out.end());
            return out;
          },
          "The weekend days as Python weekday numbers (Monday 0 … Sunday 6), sorted.");

  // --- time expressions ---
  py::class_<time_expr>(m, "TimeExpr", "A parsed Vietnamese time expression.")
      .def_readonly("start", &time_expr::start,
                    "First day (datetime.date); None for \"trước ngày …\" (a deadline).")
      .def_readonly("end", &time_expr::end,
                    "Last day included (datetime.date); None for \"Từ …\" (open-ended).")
      .def_readonly("tentative", &time_expr::tentative, "\"(Dự kiến)\": the date may still move.")
      .def_readonly("open_ended", &time_expr::open_ended,
                    "\"Từ 15/10\", \"sau ngày 15/10\": no end given.")
      .def_readonly("recurring", &time_expr::recurring,
                    "\"hàng năm\" / \"hằng năm\" / \"hàng tháng\": repeats (see repeat).")
      .def_readonly("approximate", &time_expr::approximate,
                    "\"đầu/giữa/cuối tháng\", \"khoảng\", \"năm học\": loose bounds.")
      .def_readonly("deadline", &time_expr::deadline,
                    "\"trước ngày\", \"chậm nhất\": only the end is given.")
      .def_readonly("ongoing", &time_expr::ongoing,
                    "\"Thường xuyên\": all the time; start and end are None.")
      .def_readonly("repeat", &time_expr::repeat,
                    "How a recurring time repeats: \"year\", \"month\" or \"\" (not recurring).")
      .def_readonly("text", &time_expr::text, "The text as given.")
      .def_property_readonly(
          "granularity", [](const time_expr& t) { return std::string(to_string(t.granularity)); },
          "How precise the text is: \"day\", \"week\", \"part_of_month\", \"month\", "
          "\"quarter\" or \"year\".")
      .def_property_readonly("bounded", &time_expr::bounded,
                             "True when both start and end are known.")
      .def_property_readonly(
          "period",
          [](const time_expr& t) {
            const bg::date_period p = t.period();
            return py::make_tuple(p.begin(), p.end());
          },
          "(first day, day after the last) — half-open; open sides are 1400-01-01 / "
          "9999-12-31.")
      .def("__eq__", [](const time_expr& a, const time_expr& b) { return a == b; })
      .def("__repr__", &repr);

  m.def(
      "parse_time",
      [](const std::string& text, std::optional<int> year) {
        return year ? parse_time(text, *year) : parse_time(text);
      },
      py::arg("text"), py::arg("year") = py::none(),
      "Parses a Vietnamese time expression ('27/8 - 10/9', 'Từ 15/10', 'Quý 1/2024', ...). "
      "year: the plan's year, used where the text gives none. Raises ParseError.");
}

}  // namespace khuyenhoc::python
