export * from './model';
export * from './store';
export * from './causes';
