DROP TABLE postcard_reports;
