#pragma once
/// \file khuyenhoc.hpp
/// Umbrella header: the whole public API of khuyenhoc.

#include "khuyenhoc/csv.hpp"
#include "khuyenhoc/error.hpp"
#include "khuyenhoc/generate.hpp"
#include "khuyenhoc/pool.hpp"
#include "khuyenhoc/summary.hpp"
#include "khuyenhoc/version.hpp"
