DROP TABLE board_departments;
