DROP TABLE assignments;
DROP TABLE indicators;
DROP TABLE components;
DROP TABLE evaluations;
