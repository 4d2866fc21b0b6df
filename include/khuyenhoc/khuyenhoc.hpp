#pragma once
/// \file khuyenhoc.hpp
/// Umbrella header: the whole public API of khuyenhoc.

#include "khuyenhoc/apportion.hpp"
#include "khuyenhoc/arrow.hpp"
#include "khuyenhoc/calendar.hpp"
#include "khuyenhoc/criteria.hpp"
#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/error.hpp"
#include "khuyenhoc/generate.hpp"
#include "khuyenhoc/io.hpp"
#include "khuyenhoc/plan.hpp"
#include "khuyenhoc/pool.hpp"
#include "khuyenhoc/ranking.hpp"
#include "khuyenhoc/report.hpp"
#include "khuyenhoc/rules.hpp"
#include "khuyenhoc/run.hpp"
#include "khuyenhoc/selection.hpp"
#include "khuyenhoc/shard.hpp"
#include "khuyenhoc/summary.hpp"
#include "khuyenhoc/time_expr.hpp"
#include "khuyenhoc/version.hpp"
