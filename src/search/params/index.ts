// The search-parameter type modules by SearchParameter.type. https://hl7.org/fhir/R4/valueset-search-param-type.html
import type { SupportedParamType } from '../registry.js';
import { dateParam } from './date.js';
import { numberParam } from './number.js';
import type { ParamType } from './param-type.js';
import { quantityParam } from './quantity.js';
import { referenceParam } from './reference.js';
import { stringParam } from './string.js';
import { tokenParam } from './token.js';
import { uriParam } from './uri.js';

export const ParamTypes: Readonly<Record<SupportedParamType, ParamType>> = {
  string: stringParam,
  token: tokenParam,
  date: dateParam,
  uri: uriParam,
  reference: referenceParam,
  quantity: quantityParam,
  number: numberParam,
};

export function paramTypeOf(type: string | undefined): ParamType | undefined {
  return (ParamTypes as Record<string, ParamType>)[type ?? ''];
}
