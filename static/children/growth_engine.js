// GrowthEngine: the server's growth engine (children/growth/) in the browser, for the offline posyandu day.
// It computes from two documents the server builds from its own engine and rule table (children/offline.py),
// never from numbers written here: the WHO tables with the engine's constants, and the rules.
//
// Interface (kept stable):
//   GrowthEngine.loadFrom(manifestUrl) -> Promise<GrowthEngine>: fetches the manifest
//       (/posyandu/offline/manifest.json: {growth_tables: {version, url}, rules: {version, url}, engine_script}),
//       then both documents, and loads them. GrowthEngine.versions then holds {growth_tables, rules}.
//   GrowthEngine.load(tables, rules): the two parsed documents; throws on a format it does not know.
//   GrowthEngine.ready: true once loaded.
//   GrowthEngine.assess(entry, previous) -> result, where
//       entry = {sex: "L"|"P", birth_date: "YYYY-MM-DD", measured_on: "YYYY-MM-DD", weight_kg, height_cm,
//                position: "L" (lying) | "H" (standing) | "", oedema: bool, lila_cm, head_circumference_cm,
//                pmt_kg} (numbers, null when not measured; text such as "8,9" is read as parseDecimal does);
//       previous = the child's other measurements [{measured_on, weight_kg, weight_gain?, adjusted_height_cm?}],
//                any order; weight_gain is the server's stored code of that weighing, when known (otherwise it
//                is computed here); adjusted_height_cm the stored adjusted length/height, when known.
//       result = {age_days, age_months, adjusted_height_cm, bmi,
//                 zscores: {waz, haz, whz, baz, hcz, acz} (null when not computed),
//                 categories: {waz_category, haz_category, whz_category, baz_category} (the server's codes:
//                     Permenkes 2/2020 bands, -1 not computed, -2 WHO flag),
//                 flags: {waz, haz, whz, baz, hcz, acz} (WHO implausible values), flagged (any of them),
//                 error_flags (the server's error bits), weight_gain (code: 0 N, 1 T, 2 2T, 3 O, 4 B, -1 not
//                 assessed), weight_gain_letter ("N", "T", "2T", "O", "B", "-"),
//                 violations: [{field, code, message}] (the entry is refused: the range rules and the
//                     standing-under-9-months rule), notices: [{field, code, message}] (the 0.7 cm the
//                     engine adds to a standing child under 24 months),
//                 remeasure: the reasons the server asks for a confirmed re-measurement before it stores the
//                     entry: "who_flag" (a WHO flag) and "height_shrink" (the adjusted height is more than
//                     max_height_shrink_cm below the last one before it)}.
//   GrowthEngine.categoryLabel("waz"|"haz"|"whz"|"baz", code), GrowthEngine.weightGainLabel(code),
//       GrowthEngine.indexLabel(index): the labels in the rules document's language.
//   GrowthEngine.parseDecimal(text) -> number, null when empty, NaN when not one number ("8,9" and "8.9" are
//       8.9; "8,9,1" is NaN), as the server's LocalizedDecimalField reads it.
//   GrowthEngine.formatDecimal(x, places, language?) -> "8,90" in Indonesian, "8.90" in English (the
//       language of the rules document by default), rounded as the server's formatting.fixed rounds.
// The server recomputes every entry when it syncs, and its result is the one stored.
(function (global) {
  "use strict";

  const FORMAT = 1;
  const DAY_MS = 24 * 60 * 60 * 1000;
  const DECIMAL = /^[0-9]+([,.][0-9]+)?$/;
  const INDICES = ["waz", "haz", "whz", "baz"];

  let T = null; // the growth document, with derived columns
  let R = null; // the rules document

  // L, M, S of one table and the values the engine derives per row (children/growth/tables.py).
  function prepare(table) {
    const n = table.l.length;
    const t = {
      keyMin: table.key_min,
      rows: table.rows,
      l: Float64Array.from(table.l),
      m: Float64Array.from(table.m),
      s: Float64Array.from(table.s),
      lnM: new Float64Array(n),
      invLS: new Float64Array(n),
      sd3neg: new Float64Array(n),
      sd23neg: new Float64Array(n),
      sd3pos: new Float64Array(n),
      sd23pos: new Float64Array(n),
      invM: new Float64Array(n),
      invMmm: new Float64Array(n),
      invS: new Float64Array(n),
    };
    for (let i = 0; i < n; i += 1) {
      const l = t.l[i];
      const m = t.m[i];
      const s = t.s[i];
      const sdLine = (z) => m * Math.pow(1.0 + l * s * z, 1.0 / l);
      const sd2neg = sdLine(-2.0);
      const sd3neg = sdLine(-3.0);
      const sd2pos = sdLine(2.0);
      const sd3pos = sdLine(3.0);
      t.lnM[i] = Math.log(m);
      t.invLS[i] = 1.0 / (l * s);
      t.sd3neg[i] = sd3neg;
      t.sd23neg[i] = sd2neg - sd3neg;
      t.sd3pos[i] = sd3pos;
      t.sd23pos[i] = sd3pos - sd2pos;
      t.invM[i] = 1.0 / m;
      t.invMmm[i] = 1.0 / (10.0 * m);
      t.invS[i] = 1.0 / s;
    }
    return t;
  }

  function load(tables, rules) {
    if (!tables || tables.format !== FORMAT || !rules || rules.format !== FORMAT) {
      throw new Error("GrowthEngine: unknown document format");
    }
    const prepared = {};
    Object.keys(tables.tables).forEach((name) => {
      prepared[name] = prepare(tables.tables[name]);
    });
    T = { doc: tables, c: tables.constants, t: prepared };
    R = rules;
    engine.ready = true;
    return engine;
  }

  async function fetchJson(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) {
      throw new Error(`GrowthEngine: ${url} answered ${response.status}`);
    }
    return response.json();
  }

  async function loadFrom(manifestUrl) {
    const base = new URL(manifestUrl, global.location ? global.location.href : undefined);
    const manifest = await fetchJson(base.href);
    if (manifest.format !== FORMAT) {
      throw new Error("GrowthEngine: unknown manifest format");
    }
    const documents = await Promise.all([
      fetchJson(new URL(manifest.growth_tables.url, base).href),
      fetchJson(new URL(manifest.rules.url, base).href),
    ]);
    load(documents[0], documents[1]);
    engine.versions = { growth_tables: manifest.growth_tables.version, rules: manifest.rules.version };
    return engine;
  }

  // Numbers ---------------------------------------------------------------------------------------------

  function parseDecimal(text) {
    if (text === null || text === undefined) {
      return null;
    }
    const value = String(text).trim();
    if (value === "") {
      return null;
    }
    return DECIMAL.test(value) ? Number(value.replace(",", ".")) : NaN;
  }

  function number(value) {
    if (value === null || value === undefined || value === "") {
      return NaN;
    }
    return typeof value === "number" ? value : parseDecimal(value);
  }

  function language(explicit) {
    if (explicit) {
      return explicit;
    }
    if (R && R.language) {
      return R.language;
    }
    const root = global.document ? global.document.documentElement.lang : "";
    return root || "id";
  }

  // x.toFixed(places), except that an exact tie goes to the even digit, as Python's f"{x:.2f}" does.
  function fixedText(x, places) {
    const digits = Math.abs(x).toFixed(100);
    const point = digits.indexOf(".");
    const rest = digits.slice(point + 1 + places);
    if (/^50*$/.test(rest)) {
      const down = digits.slice(0, point + 1 + places).replace(/\.$/, "");
      const last = down.charAt(down.length - 1);
      if (Number(last) % 2 === 0) {
        return (x < 0 ? "-" : "") + down;
      }
    }
    return x.toFixed(places);
  }

  function formatDecimal(x, places, lang) {
    if (x === null || x === undefined || Number.isNaN(x)) {
      return "-";
    }
    // A value that rounds to zero has no sign ("-0,00" reads as "0,00", as on the server).
    const text = fixedText(x, places).replace(/^-(?=0(\.0*)?$)/, "");
    return language(lang).indexOf("en") === 0 ? text : text.replace(".", ",");
  }

  // A bound or a value as the server's rules.number_text writes it: no trailing zeros, the decimal comma.
  function numberText(x) {
    const text = String(Number(x.toPrecision(6)));
    return language().indexOf("en") === 0 ? text : text.replace(".", ",");
  }

  // Dates: whole days since 1970-01-01 (UTC, so that no clock change shifts a day), NaN when unreadable.
  function dayNumber(text) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    if (!match) {
      return NaN;
    }
    const year = Number(match[1]);
    const month = Number(match[2]) - 1;
    const day = Number(match[3]);
    const time = Date.UTC(year, month, day);
    const back = new Date(time);
    if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month || back.getUTCDate() !== day) {
      return NaN;
    }
    return Math.round(time / DAY_MS);
  }

  function monthIndex(text) {
    return Number(text.slice(0, 4)) * 12 + Number(text.slice(5, 7)) - 1;
  }

  // Completed calendar months between two dates (children.growth.weight_gain.completed_months).
  function completedMonths(birth, measured) {
    const before = Number(measured.slice(8, 10)) < Number(birth.slice(8, 10)) ? 1 : 0;
    return monthIndex(measured) - monthIndex(birth) - before;
  }

  // The z-scores (children/growth/zscore.py) -----------------------------------------------------------

  // ((x / M) ** L - 1) / (L S) as expm1(L (ln x - ln M)) / (L S), as the server writes it.
  function lms(lnX, row, table) {
    if (row < 0) {
      return NaN;
    }
    return Math.expm1((lnX - table.lnM[row]) * table.l[row]) * table.invLS[row];
  }

  // WHO's restricted application beyond +/-3 SD, in units of the 2-3 SD interval on the measurement scale.
  function restricted(z, x, row, table) {
    let out = z;
    if (out > 3.0) {
      out = 3.0 + (x - table.sd3pos[row]) / table.sd23pos[row];
    }
    if (out < -3.0) {
      out = -3.0 + (x - table.sd3neg[row]) / table.sd23neg[row];
    }
    return out;
  }

  function positive(value) {
    return value > 0.0 && value < Infinity;
  }

  // A value the engine reads: NaN when not given; `bit` set when given but not a positive finite number.
  function measure(value, bit, state) {
    const x = number(value);
    const ok = positive(x);
    if (!Number.isNaN(x) && !ok) {
      state.error |= bit;
    }
    return ok ? x : NaN;
  }

  // The length/height in mm after the position adjustment (decided by age alone, added in whole mm).
  function adjustedMm(height, standing, lying, age, ageOk, state) {
    const c = T.c;
    const young = age < c.length_to_height_age_days;
    const adjustment = (standing && young ? 1 : 0) - (lying && !young ? 1 : 0);
    let mm = height * 10.0;
    mm += adjustment * c.position_adjustment_mm;
    if (standing && age < c.standing_min_age_days && !Number.isNaN(height) && ageOk) {
      state.error |= T.doc.errors.standing_under_9_months;
      mm = NaN;
    }
    return mm;
  }

  function whz(weight, lnW, lengthMm, age, girl, ageOk) {
    const c = T.c;
    const young = age < c.length_to_height_age_days;
    const range = young ? c.wfl_length_mm : c.wfh_height_mm;
    if (!(lengthMm >= range[0] && lengthMm <= range[1] && ageOk)) {
      return NaN;
    }
    const table = young ? T.t.wfl : T.t.wfh;
    const row = girl * table.rows + (lengthMm - table.keyMin);
    return restricted(lms(lnW, row, table), weight, row, table);
  }

  function circumferences(entry, age, girl, rowAge, ageOk, state) {
    const errors = T.doc.errors;
    const head = measure(entry.head_circumference_cm, errors.head, state);
    const hcfa = T.t.hcfa;
    const hcz = rowAge < 0 ? NaN : (head * hcfa.invM[rowAge] - 1.0) * hcfa.invS[rowAge];
    const arm = measure(entry.lila_cm, errors.arm, state);
    const acfa = T.t.acfa;
    const inRange = ageOk && age >= T.c.acfa_age_days_min;
    const row = inRange ? girl * acfa.rows + (age - T.c.acfa_age_days_min) : -1;
    const acz = row < 0 ? NaN : restricted(lms(Math.log(arm), row, acfa), arm, row, acfa);
    return { hcz: hcz, acz: acz };
  }

  function zscores(entry, age, state) {
    const c = T.c;
    const errors = T.doc.errors;
    const girl = entry.sex === "P" ? 1 : 0; // as the server maps Child.sex: "P" girls, anything else boys
    const ageMissing = Number.isNaN(age);
    if (ageMissing) {
      state.error |= errors.age_missing;
    } else if (age < 0) {
      state.error |= errors.age_negative;
    } else if (age > c.age_days_max) {
      state.error |= errors.age_over;
    }
    const ageOk = !ageMissing && age >= 0 && age <= c.age_days_max;
    const rowAge = ageOk ? girl * T.t.wfa.rows + age : -1;
    const positions = T.doc.positions;
    const code = Object.prototype.hasOwnProperty.call(positions, entry.position)
      ? positions[entry.position]
      : T.doc.measured.unknown;
    const lying = code === T.doc.measured.lying;
    const standing = code === T.doc.measured.standing;

    const weight = measure(entry.weight_kg, errors.weight, state);
    const lnW = Math.log(weight);
    const height = measure(entry.height_cm, errors.height, state);
    const mm = adjustedMm(height, standing, lying, age, ageOk, state);
    const lengthMm = Math.floor(mm + (0.5 + 1e-6));

    const lhfa = T.t.lhfa;
    const haz = rowAge < 0 ? NaN : (mm * lhfa.invMmm[rowAge] - 1.0) * lhfa.invS[rowAge];
    const waz = rowAge < 0 ? NaN : restricted(lms(lnW, rowAge, T.t.wfa), weight, rowAge, T.t.wfa);
    const bmi = (weight * 1e6) / (mm * mm);
    const baz = rowAge < 0 ? NaN : restricted(lms(Math.log(bmi), rowAge, T.t.bfa), bmi, rowAge, T.t.bfa);
    const z = { waz: waz, haz: haz, whz: whz(weight, lnW, lengthMm, age, girl, ageOk), baz: baz };
    const round = circumferences(entry, age, girl, rowAge, ageOk, state);
    z.hcz = round.hcz;
    z.acz = round.acz;
    if (entry.oedema) {
      z.waz = NaN;
      z.whz = NaN;
      z.baz = NaN;
    }
    return { z: z, lengthMm: lengthMm, bmi: bmi, ageOk: ageOk };
  }

  // Permenkes 2/2020 bands (children/growth/classify.py): the number of edges the z reaches.
  function category(z, edges, flagged) {
    if (Number.isNaN(z)) {
      return T.doc.categories.no_value;
    }
    if (flagged) {
      return T.doc.categories.flagged;
    }
    let code = 0;
    edges.forEach((edge) => {
      code += (edge[1] ? z >= edge[0] : z > edge[0]) ? 1 : 0;
    });
    return code;
  }

  // N/T/2T/O/B (children/growth/weight_gain.py) --------------------------------------------------------

  // The KBM version in force on `day` as minimum grams by completed month (-1: no minimum).
  function kbmLookup(day) {
    let version = null;
    R.kbm.forEach((candidate) => {
      if (candidate.valid_from <= day) {
        version = candidate;
      }
    });
    const rows = version ? version.rows : [];
    const top = rows.reduce((high, row) => Math.max(high, row[1]), -1);
    const lookup = new Array(top + 2).fill(-1);
    rows.forEach((row) => {
      for (let month = row[0]; month <= row[1]; month += 1) {
        lookup[month] = row[2];
      }
    });
    return lookup;
  }

  // Python's rint: halves to the even neighbour.
  function rint(x) {
    const floor = Math.floor(x);
    const rest = x - floor;
    if (rest !== 0.5) {
      return rest < 0.5 ? floor : floor + 1;
    }
    return floor % 2 === 0 ? floor : floor + 1;
  }

  function gainStatus(weighing, before, birth, lookup) {
    const codes = T.doc.weight_gain.codes;
    if (Number.isNaN(weighing.weight)) {
      return codes.not_assessed;
    }
    if (!before) {
      return codes.b;
    }
    const gap = monthIndex(weighing.day) - monthIndex(before.day);
    if (gap === 0) {
      return codes.not_assessed;
    }
    if (gap >= 2) {
      return codes.o;
    }
    const age = completedMonths(birth, weighing.day);
    const minimum = age < 0 || age >= lookup.length - 1 ? -1 : lookup[age];
    const gain = rint((weighing.weight - before.weight) * 1000.0);
    if (minimum < 0 || Number.isNaN(gain)) {
      return codes.not_assessed;
    }
    if (gain >= minimum) {
      return codes.naik;
    }
    const twice = before.status === codes.tidak_naik || before.status === codes.dua_t;
    return twice ? codes.dua_t : codes.tidak_naik;
  }

  // The entry's status: its weighings in date order, the KBM version in force on the last of them (as the
  // server's refresh), each earlier weighing with its stored status when given, else computed in turn.
  function weightGain(entry, previous) {
    const codes = T.doc.weight_gain.codes;
    const weight = number(entry.weight_kg);
    if (Number.isNaN(weight)) {
      return codes.not_assessed;
    }
    const weighings = (previous || [])
      .filter((p) => p.measured_on !== entry.measured_on && !Number.isNaN(number(p.weight_kg)))
      .map((p) => ({
        day: p.measured_on,
        weight: number(p.weight_kg),
        stored: typeof p.weight_gain === "number" ? p.weight_gain : null,
        entry: false,
      }));
    weighings.push({ day: entry.measured_on, weight: weight, stored: null, entry: true });
    weighings.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
    const lookup = kbmLookup(weighings[weighings.length - 1].day);
    let before = null;
    for (const weighing of weighings) {
      const computed = gainStatus(weighing, before, entry.birth_date, lookup);
      weighing.status = weighing.entry || weighing.stored === null ? computed : weighing.stored;
      if (weighing.entry) {
        return weighing.status;
      }
      before = weighing;
    }
    return codes.not_assessed;
  }

  // The rule table (children/rules.py) -------------------------------------------------------------------

  function ruleChecks(entry, age) {
    const violations = [];
    const notices = [];
    R.measurement_rules.forEach((rule) => {
      const value = number(entry[rule.field]);
      if (!Number.isNaN(value) && (value < Number(rule.low) || value > Number(rule.high))) {
        violations.push({
          field: rule.field,
          code: rule.code,
          message: rule.message.replace("%(value)s", numberText(value)),
        });
      }
    });
    const rule = R.position_rule;
    const standing = entry.position === rule.standing && !Number.isNaN(age);
    const hasHeight = !Number.isNaN(number(entry.height_cm));
    if (standing && hasHeight && age < rule.standing_min_age_days) {
      violations.push({ field: rule.field, code: rule.code, message: rule.message });
    } else if (standing && age >= rule.standing_min_age_days && age < rule.length_until_age_days) {
      notices.push({ field: rule.field, code: "standing_adjusted", message: rule.adjusted_message });
    }
    return { violations: violations, notices: notices };
  }

  // Why the server would ask for a confirmed re-measurement (measurement_record's NeedsConfirmation).
  function remeasure(entry, flagged, adjustedCm, previous) {
    const reasons = flagged ? ["who_flag"] : [];
    let last = null;
    (previous || []).forEach((p) => {
      const height = number(p.adjusted_height_cm);
      if (p.measured_on < entry.measured_on && !Number.isNaN(height) && (!last || p.measured_on > last.day)) {
        last = { day: p.measured_on, height: height };
      }
    });
    if (last && adjustedCm !== null && last.height - adjustedCm > R.max_height_shrink_cm) {
      reasons.push("height_shrink");
    }
    return reasons;
  }

  function orNull(x) {
    return Number.isNaN(x) ? null : x;
  }

  function assess(entry, previous) {
    if (!engine.ready) {
      throw new Error("GrowthEngine: load the documents first");
    }
    const birth = dayNumber(entry.birth_date);
    const measured = dayNumber(entry.measured_on);
    const age = measured - birth;
    const state = { error: 0 };
    const computed = zscores(entry, age, state);
    const z = computed.z;
    const flags = {};
    let flagged = false;
    Object.keys(T.doc.flags).forEach((index) => {
      const limits = T.doc.flags[index];
      flags[index] = z[index] < limits[0] || z[index] > limits[1];
      flagged = flagged || flags[index];
    });
    const categories = {};
    INDICES.forEach((index) => {
      categories[`${index}_category`] = category(z[index], T.doc.categories.edges[index], flags[index]);
    });
    if (entry.oedema && computed.ageOk) {
      // Bilateral pitting oedema is severe acute malnutrition whatever the weight says.
      Object.keys(T.doc.categories.oedema).forEach((index) => {
        categories[`${index}_category`] = T.doc.categories.oedema[index];
      });
    }
    const zscoresOut = {};
    Object.keys(z).forEach((index) => {
      zscoresOut[index] = orNull(z[index]);
    });
    const gain = Number.isNaN(age) ? T.doc.weight_gain.codes.not_assessed : weightGain(entry, previous);
    const checks = ruleChecks(entry, age);
    const adjustedCm = Number.isNaN(computed.lengthMm) ? null : computed.lengthMm / 10;
    return {
      age_days: orNull(age),
      age_months: Number.isNaN(age) ? null : completedMonths(entry.birth_date, entry.measured_on),
      adjusted_height_cm: adjustedCm,
      bmi: orNull(computed.bmi),
      zscores: zscoresOut,
      categories: categories,
      flags: flags,
      flagged: flagged,
      error_flags: state.error,
      weight_gain: gain,
      weight_gain_letter: T.doc.weight_gain.letters[String(gain)],
      violations: checks.violations,
      notices: checks.notices,
      remeasure: remeasure(entry, flagged, adjustedCm, previous),
    };
  }

  function label(labels, code) {
    return labels && labels[String(code)] !== undefined ? labels[String(code)] : "-";
  }

  const engine = {
    ready: false,
    versions: null,
    load: load,
    loadFrom: loadFrom,
    assess: assess,
    parseDecimal: parseDecimal,
    formatDecimal: formatDecimal,
    categoryLabel: (index, code) => label(R ? R.labels.categories[index] : null, code),
    weightGainLabel: (code) => label(R ? R.labels.weight_gain : null, code),
    indexLabel: (index) => (R && R.labels.indices[index] !== undefined ? R.labels.indices[index] : index),
  };

  global.GrowthEngine = engine;
})(typeof window !== "undefined" ? window : self);
