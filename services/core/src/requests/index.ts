export * from './model';
export * from './resolutions';
export * from './policy';
export * from './events';
export * as requestSql from '../sql/requests';
export * from './decide';
