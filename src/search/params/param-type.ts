// The contract every search-parameter type module implements: index extraction and SQL compilation together. https://hl7.org/fhir/R4/search.html#ptypes
import type { TypedValue } from '@medplum/core';
import type { SearchParameter } from '@medplum/fhirtypes';
import type { SqlDialect } from '../../store/sql/database.js';

/** A SQL fragment with its bound values, in order of the `?` placeholders. */
export interface Sql {
  sql: string;
  params: unknown[];
}

/** One index row: the table it goes to and its values after `rid` (the first value is the parameter code). */
export interface IndexRow {
  table: string;
  values: unknown[];
}

export interface ParamLeaf {
  code: string;
  modifier?: string;
  values: string[];
}

export interface CompileEnv {
  dialect: SqlDialect;
  /** Resource types known to the registry, to recognise `Type/id` in absolute references. */
  isResourceType(type: string): boolean;
}

/**
 * How a test on the index is phrased: `in` (an uncorrelated `rid IN (...)` the planner can drive the query from)
 * or `exists` (a correlated per-row probe, cheap when another condition already narrowed the rows).
 */
export type RidMode = 'in' | 'exists';

export interface ParamType {
  /** The index table this type writes to and reads from. */
  readonly table: string;
  /** Columns after `rid` and `code`. */
  readonly columns: readonly string[];
  /** Modifiers this type understands besides `missing` (handled generically). */
  readonly modifiers: readonly string[];
  extract(values: TypedValue[], sp: SearchParameter): unknown[][];
  /** Rows this type contributes to other tables (a reference's identifier is searchable as a token). */
  extractRelated?(values: TypedValue[], sp: SearchParameter): IndexRow[];
  /** Throws badRequest when `value` is not a valid search value for this parameter and modifier. */
  validate(value: string, sp: SearchParameter, modifier?: string): void;
  /** A predicate on `ridExpr` (the rid of the resource being tested) for the OR of `leaf.values`. */
  compile(leaf: ParamLeaf, sp: SearchParameter, ridExpr: string, env: CompileEnv, mode?: RidMode): Sql;
  /** The column sorted on (min ascending, max descending). */
  sortColumn(descending: boolean): string;
}
